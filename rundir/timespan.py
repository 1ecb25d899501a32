"""Locust's run-time syntax (90, 90s, 1m30s, 1h) in seconds.

Locust's own parser (locust.util.timespan) cannot be imported without importing locust,
which monkey-patches the whole process for gevent; the rig and the report must not be.
"""

import re

from rundir.errors import RigError

# Locust's grammar: an optional number of hours, minutes and seconds, in that order.
_TIMESPAN = re.compile(r"(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")


def parse_duration(text: object) -> int:
    """Seconds in `text`; RigError when it is not like 90, 90s, 1m30s or 1h."""
    value = str(text).strip()
    if value.isascii() and value.isdigit():
        return int(value)
    match = _TIMESPAN.fullmatch(value)
    if not value or not match or not value.isascii():
        raise RigError(f"run time {value!r} is not like 90, 90s, 1m30s or 1h")
    hours, minutes, seconds = (int(group or 0) for group in match.groups())
    return hours * 3600 + minutes * 60 + seconds
