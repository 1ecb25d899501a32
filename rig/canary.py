"""The canary: a short fixed workload, independent of the code under test, run before a benchmark.

Its figures say how the environment itself behaves tonight (network, hosts, neighbours), so
the report can tell a slower service from a slower bench. Two parts, each bounded in count
and in time:

- Redis: one connection, REDIS_OPS / 2 SETs then as many GETs of a 64-byte value on
  KEYS keys under PREFIX + "canary:" (unlinked afterwards, nothing else is touched): the
  round trip to the Redis host that every API request pays too.
- HTTP: HTTP_REQUESTS GETs of /healthz over one keep-alive connection: the path to the
  service's host and its server's fixed cost, without Redis or documents.

redis-benchmark would be the classic Redis tool, but it takes the password only on its
command line (-a), where every user of the controller can read it; a fixed loop of redis-py
round trips measures the same path and keeps the password in the environment.
"""

import http.client
import statistics
import time
from urllib.parse import urlsplit

import redis

from loadgen.reset import shown_url
from rig.errors import RigError

REDIS_OPS = 2000  # SETs plus GETs: about a second at the 0.3-0.5 ms round trip of a lab
HTTP_REQUESTS = 300
KEYS = 50
VALUE = b"c" * 64
TIME_LIMIT = 20.0  # seconds per part: a hung host must not hold the night
TIMEOUT = 5.0  # seconds per round trip
MAX_COUNT = 100_000
FORMAT = 1


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _figures(latencies: list[float], seconds: float, limit_hit: bool) -> dict:
    """Throughput of the loop and its latency percentiles in ms."""
    return {
        "count": len(latencies),
        "seconds": round(seconds, 4),
        "per_s": round(len(latencies) / seconds, 1) if seconds > 0 else None,
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p95_ms": round(_percentile(latencies, 95) * 1000, 3),
        "cut_short": limit_hit,
    }


def check_count(value: int, what: str) -> int:
    if not 1 <= int(value) <= MAX_COUNT:
        raise RigError(f"{what} must be between 1 and {MAX_COUNT}, not {value}")
    return int(value)


def canary_keys(prefix: str) -> list[str]:
    """The canary's keys: under the rig's prefix, all in one hash slot (one {tag}) so that a
    Redis Cluster serves them from one node."""
    if not prefix:
        raise RigError("the canary needs the rig's key prefix: it never writes outside it")
    return [f"{prefix}canary:{{c}}:{i}" for i in range(KEYS)]


def _redis_client(url: str):
    client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT)
    if client.info("cluster").get("cluster_enabled"):
        client.close()
        return redis.RedisCluster.from_url(url, socket_timeout=TIMEOUT)
    return client


def redis_part(url: str, prefix: str, ops: int = REDIS_OPS, limit: float = TIME_LIMIT) -> dict:
    """SET then GET round trips on the canary's keys; RigError (password-free) when Redis fails."""
    keys = canary_keys(prefix)
    half = max(1, check_count(ops, "the canary's Redis operations") // 2)
    latencies: list[float] = []
    try:
        client = _redis_client(url)
        try:
            started = time.perf_counter()
            deadline = started + limit
            for i in range(2 * half):
                key = keys[i % len(keys)]
                t0 = time.perf_counter()
                client.set(key, VALUE) if i < half else client.get(key)
                latencies.append(time.perf_counter() - t0)
                if time.perf_counter() > deadline:
                    break
            seconds = time.perf_counter() - started
        finally:
            client.unlink(*keys)
            client.close()
    except (redis.RedisError, ValueError, OSError) as exc:
        raise RigError(f"Redis {shown_url(url)}: {str(exc).replace(url, shown_url(url))}") from None
    return {**_figures(latencies, seconds, len(latencies) < 2 * half), "url": shown_url(url)}


def check_http_url(url: str):
    """The URL's parts; RigError unless it is an http(s) URL with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (ValueError when out of range or not a number)
    except ValueError:
        raise RigError(f"{url!r} is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RigError(f"the canary needs an http:// or https:// URL, not {url!r}")
    return parts


def http_part(url: str, requests: int = HTTP_REQUESTS, limit: float = TIME_LIMIT) -> dict:
    """GETs of `url` over one keep-alive connection; RigError when one fails or is not 2xx."""
    count = check_count(requests, "the canary's HTTP requests")
    parts = check_http_url(url)
    port = parts.port
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, port, timeout=TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    latencies: list[float] = []
    try:
        started = time.perf_counter()
        deadline = started + limit
        for _ in range(count):
            t0 = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            if not 200 <= response.status < 300:
                raise RigError(f"GET {url} answered HTTP {response.status}")
            latencies.append(time.perf_counter() - t0)
            if time.perf_counter() > deadline:
                break
        seconds = time.perf_counter() - started
    except (OSError, http.client.HTTPException) as exc:
        raise RigError(f"GET {url}: {exc}") from None
    finally:
        connection.close()
    return {**_figures(latencies, seconds, len(latencies) < count), "url": url}


def run(
    redis_url: str | None,
    prefix: str,
    http_url: str | None,
    redis_ops: int = REDIS_OPS,
    http_requests: int = HTTP_REQUESTS,
) -> dict:
    """Both parts (those with a URL); a part that fails is listed under "missing"."""
    if not redis_url and not http_url:
        raise RigError("the canary needs a Redis URL, an HTTP URL or both")
    if http_url:
        check_http_url(http_url)  # a malformed option is an error, not a missing figure
    if redis_url:
        canary_keys(prefix)
    result: dict = {"format": FORMAT, "time": time.time(), "missing": []}
    for name, url, part in (
        ("redis", redis_url, lambda: redis_part(redis_url, prefix, redis_ops)),
        ("http", http_url, lambda: http_part(http_url, http_requests)),
    ):
        if not url:
            continue
        try:
            result[name] = part()
        except RigError as exc:
            result["missing"].append({"what": f"canary {name}", "why": str(exc)})
    return result


def line(result: dict) -> str:
    """One line of what the canary measured."""
    shown = []
    if "redis" in result:
        r = result["redis"]
        shown.append(f"Redis {r['per_s']:,.0f} ops/s (p50 {r['p50_ms']:.2f} ms)")
    if "http" in result:
        h = result["http"]
        shown.append(f"HTTP {h['per_s']:,.0f} req/s (p50 {h['p50_ms']:.2f} ms)")
    shown += [f"{m['what']} missing: {m['why']}" for m in result.get("missing", [])]
    return "canary: " + "; ".join(shown)
