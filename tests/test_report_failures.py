"""The report's failure table groups Locust's failure messages by cause."""

from hypothesis import example, given
from hypothesis import strategies as st

from reports import failures


def _row(error: str, count: int, method: str = "POST", name: str = "/api/v1/add_json") -> dict:
    return {"Method": method, "Name": name, "Error": error, "Occurrences": str(count)}


def test_the_rigs_messages_group_by_their_cause_across_endpoints():
    rows = [
        _row("CatchResponseError('connect timeout (no HTTP response; expected 201)')", 70),
        _row("CatchResponseError('connect timeout (no HTTP response; expected 201)')", 30,
             name="/api/v1/add_string"),
        _row("CatchResponseError('HTTP 503 redis_unavailable (expected 201)')", 5),
        _row("CatchResponseError('HTTP 404 document_not_found: were the documents seeded "
             "(--seed-count, rig seed)?')", 2, "GET", "/api/v1/json/[id]"),
        _row("CatchResponseError('read timeout (no HTTP response; expected 200)')", 5, "GET"),
    ]  # fmt: skip
    groups = failures.group(rows)
    assert [(g.cause, g.occurrences) for g in groups] == [
        ("connect timeout", 100),
        ("HTTP 503 redis_unavailable", 5),
        ("read timeout", 5),
        ("HTTP 404 document_not_found", 2),
    ]
    assert groups[0].requests == {"POST /api/v1/add_json": 70, "POST /api/v1/add_string": 30}
    assert groups[0].example == "connect timeout (no HTTP response; expected 201)"


def test_locusts_own_exception_reprs_map_to_the_same_causes():
    cases = {
        "ConnectionRefusedError(111, 'Connection refused')": "connection refused",
        "ConnectionResetError(104, 'Connection reset by peer')": "connection reset",
        "RetriesExceeded('URL http://x/: ...')": "RetriesExceeded('URL http://x/: ...')",
        "timeout('timed out')": "read timeout",
        "HTTPConnectionClosed('connection closed.')": "connection closed before a response",
        "HTTPError('503 Server Error: SERVICE UNAVAILABLE | retry')": "HTTP 503",
        "BadStatusCode('http://h/a', code=429)": "HTTP 429",
        "CatchResponseError('HTTP 0, expected 201: ')": "no response (cause not recorded)",
        "OSError(24, 'Too many open files')": "load generator out of file descriptors",
    }
    for error, expected in cases.items():
        assert failures.cause(error) == expected, error


def test_an_unknown_message_is_its_own_cause_cut_short():
    long = "x" * 500
    assert failures.cause(f"CatchResponseError('{long}')") == "x" * 59 + "…"
    assert failures.cause("201 without an id: b''") == "201 without an id: b''"


@given(st.text(max_size=300), st.text(max_size=20))
@example(error="", count="INFINITY")  # float() reads it; int() of it overflowed
@example(error="", count="nan")
def test_any_text_gets_a_short_cause_and_never_an_exception(error, count):
    groups = failures.group([{"Method": "GET", "Name": "/x", "Error": error, "Occurrences": count}])
    assert len(groups) == 1
    assert len(groups[0].cause) <= max(failures.OTHER_WIDTH, 80)
