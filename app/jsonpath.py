"""Parsing JSONPath for the API: any `$` path goes to RedisJSON; string documents take simple paths.

String documents are navigated by a server-side script that understands only a list of object
keys and array indexes, so their paths are limited to $.a.b, $.a[3] and $['a key'].
"""

import re

from app.errors import ApiError

MAX_PATH_LENGTH = 1024
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_INDEX = re.compile(r"\[(\d{1,9})\]")
_QUOTED = re.compile(r"""\[(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]""")


def check_path(path: str) -> str:
    """A path for RedisJSON: must start with `$` so that answers are arrays of matches."""
    if not path or not path.startswith("$"):
        raise ApiError(
            400, "invalid_path", f"path must be a JSONPath starting with '$', not {path!r}"
        )
    if len(path) > MAX_PATH_LENGTH:
        raise ApiError(400, "invalid_path", f"path is longer than {MAX_PATH_LENGTH} characters")
    return path


def simple_path_segments(path: str) -> list[str | int]:
    """`$.a[3]['b c']` -> ["a", 3, "b c"]; anything richer is a 400 that says what is allowed."""
    check_path(path)
    segments: list[str | int] = []
    position = 1
    while position < len(path):
        if path[position] == "." and (name := _NAME.match(path, position + 1)):
            segments.append(name.group())
            position = name.end()
        elif index := _INDEX.match(path, position):
            segments.append(int(index.group(1)))
            position = index.end()
        elif quoted := _QUOTED.match(path, position):
            raw = quoted.group(1) if quoted.group(1) is not None else quoted.group(2)
            segments.append(re.sub(r"\\(.)", r"\1", raw))
            position = quoted.end()
        else:
            raise ApiError(
                400, "unsupported_path",
                f"string documents support only simple paths ($.a.b, $.a[3], $['a key']); "
                f"{path!r} is not one (at character {position}). Store the document with "
                "add_json for full JSONPath.",
            )  # fmt: skip
    return segments
