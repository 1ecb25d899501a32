"""The environment fingerprint of `rig local`, read from a real Redis with the JSON module."""

import re

import redis

from reports.render import module_version
from rig import local_env


def test_redisjson_version_reads_like_a_release(json_redis):
    client = redis.Redis.from_url(json_redis.url)
    raw = next(m[b"ver"] for m in client.module_list() if m[b"name"].lower() == b"rejson")
    client.close()
    found = local_env.versions(json_redis.url)["redisjson"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", found), found
    major, minor, patch = (int(part) for part in found.split("."))
    assert major * 10000 + minor * 100 + patch == int(raw)


def test_module_versions_decode_major_minor_patch():
    assert module_version(20803) == "2.8.3"
    assert module_version("20803") == "2.8.3"
    assert module_version(100012) == "10.0.12"
    assert module_version("2.8.3") == "2.8.3"
