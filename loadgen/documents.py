"""Seeded Pokémon-like JSON documents (Faker) in three sizes, serialized once and reused.

Generating a 15 KB document costs milliseconds; a request costs microseconds of the load
generator's CPU. So each process builds a small pool once and the tasks pick from it.
"""

from __future__ import annotations

import functools
import random
from datetime import datetime
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from faker import Faker

DEFAULT_SEED = 42
POOL_SIZE = 32
# Target serialized sizes in bytes; "small" matches the seed's add_random_small_json.
SIZES = {"small": 200, "15k": 15_000, "100k": 100_000}
DEFAULT_SIZE = "15k"
# Documents seed-000000... that read and update tasks address, unless a scenario says otherwise.
DEFAULT_SEED_COUNT = 1000
TYPES = ["fire", "water", "grass", "electric", "psychic", "ice", "dragon", "dark", "fairy"]
STAT_NAMES = ["hp", "attack", "defense", "sp_attack", "sp_defense", "speed"]
# Faker draws dates up to now unless told otherwise: a document made a second later differed.
LATEST_DATE = datetime(2026, 1, 1)
# The nested fields the read/update tasks address; every document of every size has them.
FIELD_PATH = "$.stats.attack"
STRING_FIELD_PATH = "$.stats.speed"


def check_size(size: str) -> str:
    if size not in SIZES:
        raise ValueError(f"unknown document size {size!r}; choose one of {', '.join(SIZES)}")
    return size


def small_document(fake: Faker, rng: random.Random) -> dict:
    """About 200 bytes: a name and the stats the field tasks read and update."""
    return {
        "name": fake.first_name(),
        "species": fake.word().title(),
        "type": rng.choice(TYPES),
        "level": rng.randint(1, 100),
        "shiny": rng.random() < 0.05,
        "caught": fake.date(end_datetime=LATEST_DATE),
        "stats": {name: rng.randint(1, 255) for name in STAT_NAMES},
    }


def _move(fake: Faker, rng: random.Random) -> dict:
    return {
        "name": fake.word().title() + " " + rng.choice(["Strike", "Blast", "Wave", "Guard"]),
        "type": rng.choice(TYPES),
        "power": rng.randint(10, 150),
        "accuracy": rng.randint(50, 100),
        "pp": rng.choice([5, 10, 15, 20, 25, 30]),
    }


def _battle(fake: Faker, rng: random.Random, turn: int) -> dict:
    return {
        "turn": turn,
        "at": fake.iso8601(end_datetime=LATEST_DATE),
        "opponent": fake.first_name(),
        "location": fake.city(),
        "move": fake.word(),
        "damage": rng.randint(0, 300),
        "critical": rng.random() < 0.1,
        "note": fake.sentence(nb_words=8),
    }


def full_document(fake: Faker, rng: random.Random, target_bytes: int) -> dict:
    """A Pokémon with nested stats, moves, evolutions and a battle log of about target_bytes."""
    doc = small_document(fake, rng)
    doc.update(
        {
            "trainer": {
                "name": fake.name(),
                "city": fake.city(),
                "since": fake.date(end_datetime=LATEST_DATE),
            },
            "abilities": [fake.word() for _ in range(3)],
            "moves": [_move(fake, rng) for _ in range(8)],
            "evolutions": [
                {"into": fake.word().title(), "level": 16 * (i + 1), "item": None} for i in range(2)
            ],
            "battle_log": [],
        }
    )
    size = len(orjson.dumps(doc))
    while size < target_bytes:
        entry = _battle(fake, rng, len(doc["battle_log"]) + 1)
        doc["battle_log"].append(entry)
        size += len(orjson.dumps(entry)) + 1
    return doc


def make_document(index: int, size: str = "15k", seed: int = DEFAULT_SEED) -> dict:
    """Document number `index`: the same seed, index and size always give the same document."""
    from faker import Faker  # slow to import: only where documents are made

    check_size(size)
    fake = Faker()
    fake.seed_instance(seed * 1_000_003 + index)
    rng = random.Random(seed * 1_000_003 + index)
    if size == "small":
        return small_document(fake, rng)
    return full_document(fake, rng, SIZES[size])


@functools.cache
def pool(size: str = "15k", seed: int = DEFAULT_SEED, count: int = POOL_SIZE) -> tuple[bytes, ...]:
    """`count` serialized documents of `size`, built once per process."""
    return tuple(orjson.dumps(make_document(i, size, seed)) for i in range(count))


def body(index: int, size: str = "15k", seed: int = DEFAULT_SEED) -> bytes:
    """The serialized document for `index`, taken from the pool (cheap)."""
    bodies = pool(size, seed)
    return bodies[index % len(bodies)]


def seed_id(index: int) -> str:
    """The id of seeded document `index`; every worker derives the same ids."""
    return f"seed-{index:06d}"
