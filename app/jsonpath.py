"""JSONPath for the API: parsed as RFC 9535 (python-jsonpath), then rewritten for RedisJSON 2.8.

Nothing a client writes reaches RedisJSON as it was written, because RedisJSON's own path
parser aborts the whole server on some inputs (measured against its rejson.so, 2.8.3):
- any array index, slice bound or union member outside the 64-bit range (signal 6);
- a syntax error at or after a 4-byte UTF-8 character (`$.😀`, `$['😀'][`).
And it reads some valid paths differently from RFC 9535: it does not decode escapes
(`$['it\\'s']` addresses `it\\'s`) and skips spaces after an opening quote (`$[' a']` is `a`).

So every path is parsed here, every number is bounded to MAX_INDEX (RFC 9535 already stops at
2^53 - 1; RedisJSON is safe up to 2^63 - 1; real arrays are far shorter than 2^31), names
RedisJSON cannot address exactly are refused, and the path is written out again in a form
RedisJSON's grammar always accepts: `$['a'][0][1,2][0:5:2][*]..['b']`. A filter (`[?...]`)
has no such rewrite, so a path with one is passed as written, but only when it is plain ASCII
(no UTF-8 crash) without escapes, after the same checks on every query nested in the filter.

String documents are navigated by a server-side script that understands only object keys and
array indexes, so their paths are limited to names and non-negative indexes ($.a[3]['b c']).
"""

import functools

import jsonpath
from jsonpath import filter as jsonpath_filter
from jsonpath import segments as jsonpath_segments
from jsonpath import selectors as jsonpath_selectors

from app.errors import ApiError

MAX_PATH_LENGTH = 1024
MAX_INDEX = 2**31 - 1
# Filters nest (`?(@.a[?(@.b)])`); each level is a recursive descent in both parsers.
MAX_FILTER_DEPTH = 16


class _Environment(jsonpath.JSONPathEnvironment):
    """RFC 9535, with indexes and slice bounds limited to what RedisJSON handles with room."""

    max_int_index = MAX_INDEX
    min_int_index = -MAX_INDEX


_ENVIRONMENT = _Environment(strict=True)


def invalid(path: str, why: str) -> ApiError:
    return ApiError(400, "invalid_path", f"invalid JSONPath {path!r}: {why}")


def _parse(path: str) -> jsonpath.JSONPath:
    if not path or not path.startswith("$"):
        raise invalid(path, "a path starts with '$' (RFC 9535), e.g. $.a.b or $['a key'][0]")
    if len(path) > MAX_PATH_LENGTH:
        raise ApiError(400, "invalid_path", f"path is longer than {MAX_PATH_LENGTH} characters")
    try:
        query = _ENVIRONMENT.compile(path)
    except jsonpath.JSONPathIndexError:
        raise invalid(path, f"indexes and slice bounds must be within ±{MAX_INDEX}") from None
    except (jsonpath.JSONPathError, RecursionError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise invalid(path, first_line) from None
    if not isinstance(query, jsonpath.JSONPath):  # a compound path ($.a | $.b)
        raise invalid(path, "one query at a time")
    return query


def redis_path(path: str) -> str:
    """The path to send to RedisJSON for `path`, or an ApiError 400 invalid_path."""
    return _redis_path_cached(path)


def is_root(path: str) -> bool:
    """Whether `path` selects the whole document (RFC 9535 allows no spaces around `$`)."""
    return path == "$"


@functools.lru_cache(maxsize=4096)
def _cached(function, path: str) -> tuple[bool, object]:
    try:
        return True, function(path)
    except ApiError as exc:
        return False, exc


def _memoized(function):
    """Same answer (or the same refusal) for a path seen before: load tests repeat paths."""

    @functools.wraps(function)
    def wrapper(path: str):
        ok, result = _cached(function, path)
        if not ok:
            raise ApiError(result.status, result.code, result.message)
        return result

    return wrapper


def _translate(path: str) -> str:
    query = _parse(path)
    has_filter = _check_query(path, query, depth=0)
    if has_filter:
        if not path.isascii():
            raise invalid(path, "a path with a filter must be plain ASCII")
        if "\\" in path:  # RedisJSON would not decode the escape
            raise invalid(path, "a path with a filter cannot hold escapes (\\)")
        return path
    return "$" + "".join(_segment_text(path, segment) for segment in query.segments)


_redis_path_cached = _memoized(_translate)


def _check_query(path: str, query: jsonpath.JSONPath, depth: int) -> bool:
    """Check every selector (and every query inside filters); True when there is a filter."""
    has_filter = False
    for segment in query.segments:
        for selector in segment.selectors:
            if isinstance(selector, jsonpath_selectors.NameSelector):
                _check_name(path, selector.name)
            elif isinstance(selector, jsonpath_selectors.IndexSelector):
                _check_number(path, selector.index)
            elif isinstance(selector, jsonpath_selectors.SliceSelector):
                for number in (selector.slice.start, selector.slice.stop, selector.slice.step):
                    _check_number(path, number)
            elif isinstance(selector, jsonpath_selectors.Filter):
                if depth >= MAX_FILTER_DEPTH:
                    raise invalid(path, f"filters nest deeper than {MAX_FILTER_DEPTH}")
                _check_filter(path, selector.expression, depth + 1)
                has_filter = True
            elif not isinstance(selector, jsonpath_selectors.WildcardSelector):
                raise invalid(path, f"{type(selector).__name__} is not supported")
    return has_filter


def _check_filter(path: str, expression, depth: int) -> None:
    """Walk a filter expression: nested queries are checked like the path itself."""
    stack = [(expression, 0)]
    while stack:
        node, level = stack.pop()
        if level > 64:
            raise invalid(path, "the filter expression nests too deeply")
        if isinstance(node, jsonpath_filter.FilterQuery):
            _check_query(path, node.path, depth)
        stack.extend((child, level + 1) for child in node.children())


def _check_number(path: str, number: int | None) -> None:
    # The parser's bounds already hold; this keeps the promise if it ever changes them.
    if number is not None and not -MAX_INDEX <= number <= MAX_INDEX:
        raise invalid(path, f"indexes and slice bounds must be within ±{MAX_INDEX}")


def _check_name(path: str, name: str) -> None:
    if "\\" in name or ("'" in name and '"' in name):
        raise invalid(
            path,
            "RedisJSON cannot address a name with a backslash or with both kinds of quotes",
        )
    if name.startswith(" "):
        raise invalid(path, "RedisJSON cannot address a name that starts with a space")


def _quoted(name: str) -> str:
    quote = '"' if "'" in name else "'"
    return f"{quote}{name}{quote}"


def _segment_text(path: str, segment) -> str:
    """One segment in RedisJSON's grammar; unions must be all names or all indexes there."""
    selectors = segment.selectors
    prefix = ".." if isinstance(segment, jsonpath_segments.JSONPathRecursiveDescentSegment) else ""
    kinds = {type(selector) for selector in selectors}
    if kinds == {jsonpath_selectors.NameSelector}:
        inside = ",".join(_quoted(selector.name) for selector in selectors)
    elif kinds == {jsonpath_selectors.IndexSelector}:
        inside = ",".join(str(selector.index) for selector in selectors)
    elif kinds == {jsonpath_selectors.WildcardSelector} and len(selectors) == 1:
        inside = "*"
    elif kinds == {jsonpath_selectors.SliceSelector} and len(selectors) == 1:
        inside = _slice_text(path, selectors[0].slice)
    else:
        raise invalid(
            path,
            "RedisJSON takes a union of names only, of indexes only, or one slice or wildcard",
        )
    return f"{prefix}[{inside}]"


def _slice_text(path: str, bounds: slice) -> str:
    if bounds.step is not None and bounds.step < 1:
        raise invalid(path, "RedisJSON takes only a positive slice step")
    start = "" if bounds.start is None else str(bounds.start)
    stop = "" if bounds.stop is None else str(bounds.stop)
    step = "" if bounds.step is None else f":{bounds.step}"
    return f"{start}:{stop}{step}"


def _segments(path: str) -> tuple[str | int, ...]:
    # The script compares decoded names, so escapes and leading spaces are fine here.
    segments: list[str | int] = []
    for segment in _parse(path).segments:
        selectors = segment.selectors
        if not isinstance(segment, jsonpath_segments.JSONPathChildSegment) or len(selectors) != 1:
            raise _unsupported(path)
        selector = selectors[0]
        if isinstance(selector, jsonpath_selectors.NameSelector):
            segments.append(selector.name)
        elif isinstance(selector, jsonpath_selectors.IndexSelector) and selector.index >= 0:
            segments.append(selector.index)
        else:
            raise _unsupported(path)
    return tuple(segments)


def _unsupported(path: str) -> ApiError:
    return ApiError(
        400, "unsupported_path",
        f"string documents support only names and indexes ($.a.b, $.a[3], $['a key']); "
        f"{path!r} is not one. Store the document with add_json for full JSONPath.",
    )  # fmt: skip


simple_path_segments = _memoized(_segments)
