"""The API's users: one tagged task per operation, each response checked with catch_response."""

import random
from itertools import count

import gevent
import orjson
from locust import FastHttpUser, constant_pacing, events, tag, task
from locust.runners import MasterRunner

from loadgen import causes, documents, pacing
from loadgen.options import Workload

JSON_HEADERS = {"Content-Type": "application/json"}
# Sent with GETs and DELETEs; holds "Connection: close" when idle users close (see below).
PLAIN_HEADERS: dict[str, str] = {}
# Read once per test (test_start), not per request: on a worker the master's options arrive
# with the spawn message, after the worker's own init.
WORKLOAD = Workload()
SEED_IDS: tuple[str, ...] = (documents.seed_id(0),)
_tokens = count(random.randrange(1 << 30))


@events.test_start.add_listener
def _read_options(environment, **_kwargs) -> None:
    global WORKLOAD, SEED_IDS, JSON_HEADERS, PLAIN_HEADERS
    options = environment.parsed_options
    if options is not None and isinstance(environment.runner, MasterRunner):
        # The spawn messages, sent right after this, carry it to the workers: without it
        # a worker knows no user count and would run the closed model.
        options.arrival_users = environment.runner.target_user_count or options.num_users or 0
    WORKLOAD = Workload.from_options(options)
    # A user that thinks longer than the server keeps an idle connection would find it closed
    # anyway; meanwhile it would hold one of the server's connection slots and one of this
    # host's file descriptors and ports. It asks the server to close after each answer and
    # connects afresh for its next request, so a crowd of 100,000 mostly idle users needs
    # only as many connections as there are requests in flight.
    close = {"Connection": "close"} if WORKLOAD.closes_idle_connections else {}
    JSON_HEADERS = {"Content-Type": "application/json", **close}
    PLAIN_HEADERS = close
    # Built once, so a request pays for a random.choice, not for formatting an id.
    SEED_IDS = tuple(documents.seed_id(i) for i in range(max(1, WORKLOAD.seed_count)))


def _seeded_id() -> str:
    return random.choice(SEED_IDS)


# Why a response is wrong (its cause first), or None when its status is the expected one.
_problem = causes.problem


def _json(response):
    try:
        return orjson.loads(response.content)
    except (orjson.JSONDecodeError, TypeError):
        return None


class JsonApiUser(FastHttpUser):
    """A client of the JSON-document API; scenarios choose its tasks by tag."""

    _first_wait: float | None = None

    def __init__(self, environment) -> None:
        # FastHttpUser reads these when it builds its client; test_start has set WORKLOAD.
        self.connection_timeout = self.network_timeout = WORKLOAD.request_timeout
        super().__init__(environment)

    def wait_time(self) -> float:
        if self._first_wait is not None:
            first, self._first_wait = self._first_wait, None
            return first
        if WORKLOAD.pacing > 0:  # open model: a task start every `pacing` s, whatever it took
            return constant_pacing(WORKLOAD.pacing)(self)
        if WORKLOAD.wait_max <= 0:
            return 0.0
        return random.uniform(WORKLOAD.wait_min, WORKLOAD.wait_max)

    def on_start(self) -> None:
        if WORKLOAD.pacing > 0:
            # A random phase, so that the users' arrivals spread over the pacing interval
            # instead of coming in bursts of all users at once.
            gevent.sleep(random.uniform(0, WORKLOAD.pacing))
        elif WORKLOAD.wait_first:
            # What is left of a think time already under way: the crowd's first requests
            # come at the steady rate at once, neither a burst nor a slow start.
            self._first_wait = pacing.first_wait(WORKLOAD.wait_min, WORKLOAD.wait_max)
            self.wait()  # Locust's wait: a stopping user is not held up by it

    # -- writes of whole documents -------------------------------------------------------

    def _add(self, kind: str, body: bytes, name: str) -> None:
        # A bounded pool of ids (overwritten) keeps Redis' memory flat however long the run.
        url = f"/api/v1/add_{kind}"
        if WORKLOAD.doc_pool:
            url += f"?id=pool-{random.randrange(WORKLOAD.doc_pool)}"
        with self.client.post(
            url, data=body, headers=JSON_HEADERS, name=name, catch_response=True
        ) as response:
            problem = _problem(response, 201)
            if problem is None:
                answer = _json(response)
                if not isinstance(answer, dict) or not answer.get("id"):
                    problem = f"201 without an id: {response.content[:200]!r}"
            if problem:
                response.failure(problem)

    @tag("add_json")
    @task(2)
    def add_json(self) -> None:
        body = documents.body(random.randrange(documents.POOL_SIZE), WORKLOAD.doc_size)
        self._add("json", body, "/api/v1/add_json")

    @tag("add_string")
    @task(2)
    def add_string(self) -> None:
        body = documents.body(random.randrange(documents.POOL_SIZE), WORKLOAD.doc_size)
        self._add("string", body, "/api/v1/add_string")

    @tag("add_small_json")
    @task(1)
    def add_small_json(self) -> None:
        body = documents.body(random.randrange(documents.POOL_SIZE), "small")
        self._add("json", body, "/api/v1/add_small_json")

    # -- reads ---------------------------------------------------------------------------

    def _get_document(self, kind: str) -> None:
        with self.client.get(
            f"/api/v1/{kind}/{_seeded_id()}",
            name=f"/api/v1/{kind}/[id]",
            headers=PLAIN_HEADERS,
            catch_response=True,
        ) as response:
            problem = _problem(response, 200)
            # A shape check that costs no parse of 15 KB: an object holding the stats field.
            if problem is None and not (
                response.content[:1] == b"{" and b'"stats":' in response.content
            ):
                problem = f"not a seeded document: {response.content[:200]!r}"
            if problem:
                response.failure(problem)

    def _get_field(self, kind: str, path: str) -> None:
        with self.client.get(
            f"/api/v1/{kind}/{_seeded_id()}?path={path}",
            name=f"/api/v1/{kind}/[id]?path",
            headers=PLAIN_HEADERS,
            catch_response=True,
        ) as response:
            problem = _problem(response, 200)
            if problem is None:
                value = _json(response)
                if not (isinstance(value, list) and len(value) == 1 and type(value[0]) is int):
                    problem = f"{path} should give one integer, got {response.content[:200]!r}"
            if problem:
                response.failure(problem)

    @tag("get_json")
    @task(4)
    def get_json(self) -> None:
        self._get_document("json")

    @tag("get_string")
    @task(4)
    def get_string(self) -> None:
        self._get_document("string")

    @tag("get_json_field")
    @task(6)
    def get_json_field(self) -> None:
        self._get_field("json", documents.FIELD_PATH)

    @tag("get_string_field")
    @task(4)
    def get_string_field(self) -> None:
        self._get_field("string", documents.STRING_FIELD_PATH)

    # -- nested updates ------------------------------------------------------------------

    def _update_field(self, kind: str, path: str) -> None:
        with self.client.patch(
            f"/api/v1/{kind}/{_seeded_id()}?path={path}",
            data=str(random.randint(1, 255)).encode(),
            headers=JSON_HEADERS,
            name=f"/api/v1/{kind}/[id]?path",
            catch_response=True,
        ) as response:
            problem = _problem(response, 200)
            if problem is None:
                answer = _json(response)
                if not isinstance(answer, dict) or not answer.get("updated"):
                    problem = f"nothing updated: {response.content[:200]!r}"
            if problem:
                response.failure(problem)

    @tag("update_json_field")
    @task(3)
    def update_json_field(self) -> None:
        self._update_field("json", documents.FIELD_PATH)

    @tag("update_string_field")
    @task(2)
    def update_string_field(self) -> None:
        self._update_field("string", documents.STRING_FIELD_PATH)

    # -- read your own write -------------------------------------------------------------

    @tag("consistency")
    @task(1)
    def consistency(self) -> None:
        """Write a nested value into a document of this user's own, read it back, delete it.

        The document is private to this task, so any difference is the service losing or
        mangling the write, reported as a failure named "consistency".
        """
        kind = random.choice(("json", "string"))
        doc_id = f"check-{next(_tokens)}-{random.randrange(1 << 40):x}"
        url = f"/api/v1/{kind}/{doc_id}"
        token = next(_tokens)
        with self.client.post(
            f"/api/v1/add_{kind}?id={doc_id}",
            data=documents.body(0, "small"),
            headers=JSON_HEADERS,
            name="consistency: create",
            catch_response=True,
        ) as response:
            if problem := _problem(response, 201):
                response.failure(problem)
                return
        with self.client.patch(
            f"{url}?path={documents.FIELD_PATH}",
            data=str(token).encode(),
            headers=JSON_HEADERS,
            name="consistency: write",
            catch_response=True,
        ) as response:
            if problem := _problem(response, 200):
                response.failure(problem)
        with self.client.get(
            f"{url}?path={documents.FIELD_PATH}",
            name="consistency",
            headers=PLAIN_HEADERS,
            catch_response=True,
        ) as response:
            problem = _problem(response, 200)
            if problem is None and _json(response) != [token]:
                problem = (
                    f"{kind} document {doc_id}: wrote {token} at {documents.FIELD_PATH}, "
                    f"read back {response.content[:200]!r}"
                )
            if problem:
                response.failure(problem)
        with self.client.delete(
            url, name="consistency: delete", headers=PLAIN_HEADERS, catch_response=True
        ) as response:
            if response.status_code != 204 and (problem := _problem(response, 200)):
                response.failure(problem)
