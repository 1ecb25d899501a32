"""Groups Locust's failures (locust_failures.csv) by cause: connect timeout, HTTP 503, ...

The rig's users write messages that start with their cause (loadgen/causes.py); other
locustfiles leave Locust's own exception reprs, which are mapped to the same causes where
the exception says enough.
"""

import ast
import re
from dataclasses import dataclass, field

# The causes loadgen/causes.py writes, at the start of a message.
_RIG_CAUSE = re.compile(
    r"^(connect timeout|read timeout|connection refused|connection reset"
    r"|connection closed before a response|malformed HTTP response|host unreachable"
    r"|load generator out of (?:file descriptors|local ports)|socket error \w+"
    r"|no response(?: \(\w+\))?|HTTP \d{3}(?: [A-Za-z0-9_\-]+)?)(?=$|[ :(])"
)
# Locust's exception reprs (bare Locust, HttpUser, older rig messages) -> cause.
_LOCUST_CAUSES = [
    (re.compile(r"ConnectionRefusedError|Connection refused|ECONNREFUSED"), "connection refused"),
    (re.compile(r"ConnectionResetError|Connection reset|ECONNRESET"), "connection reset"),
    (re.compile(r"ConnectTimeout|connect timeout", re.I), "connect timeout"),
    (re.compile(r"ReadTimeout|TimeoutError|timed out|\btimeout\(", re.I), "read timeout"),
    (re.compile(r"HTTPConnectionClosed|RemoteDisconnected"), "connection closed before a response"),
    (re.compile(r"Too many open files|EMFILE"), "load generator out of file descriptors"),
    (re.compile(r"Cannot assign requested address|EADDRNOTAVAIL"),
     "load generator out of local ports"),
    (re.compile(r"^HTTP 0\b"), "no response (cause not recorded)"),
]  # fmt: skip
_STATUS = re.compile(r"(?:HTTPError\(')?(?:HTTP )?\b([1-5]\d\d)\b(?: (?:Server|Client) Error)?")
_BAD_STATUS = re.compile(r"code=([1-5]\d\d)\b")
OTHER_WIDTH = 60  # characters of an unrecognised message kept as its cause


def unwrap(error: str) -> str:
    """The message inside Locust's CatchResponseError('...') repr, else the text as is."""
    text = error.strip()
    if text.startswith("CatchResponseError(") and text.endswith(")"):
        inner = text[len("CatchResponseError(") : -1]
        try:
            value = ast.literal_eval(inner)
        except (ValueError, SyntaxError):
            return inner
        return value if isinstance(value, str) else inner
    return text


def cause(error: str) -> str:
    """The cause a failure message names, in the rig's words."""
    message = unwrap(error)
    match = _RIG_CAUSE.match(message)
    if match:
        return match.group(1)
    for pattern, name in _LOCUST_CAUSES:
        if pattern.search(message):
            return name
    status = _BAD_STATUS.search(message) or (
        _STATUS.match(message) if message.startswith(("HTTPError", "HTTP ")) else None
    )
    if status:
        return f"HTTP {status.group(1)}"
    return message if len(message) <= OTHER_WIDTH else message[: OTHER_WIDTH - 1] + "…"


@dataclass
class CauseGroup:
    cause: str
    occurrences: int = 0
    requests: dict[str, int] = field(default_factory=dict)  # "METHOD name" -> occurrences
    example: str = ""


def _count(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except (ValueError, OverflowError):  # not a number, or "inf" (Python reads it as a float)
        return 0


def group(rows: list[dict[str, str]]) -> list[CauseGroup]:
    """locust_failures.csv rows grouped by cause, the most frequent first."""
    groups: dict[str, CauseGroup] = {}
    for row in rows:
        error = row.get("Error") or ""
        name = cause(error)
        entry = groups.setdefault(name, CauseGroup(name, example=unwrap(error)))
        count = _count(row.get("Occurrences"))
        entry.occurrences += count
        request = f"{row.get('Method', '')} {row.get('Name', '')}".strip()
        entry.requests[request] = entry.requests.get(request, 0) + count
    return sorted(groups.values(), key=lambda g: (-g.occurrences, g.cause))
