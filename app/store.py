"""Document storage in Redis: RedisJSON documents and the same documents as plain strings.

One set of connections per worker process, created at first use after the fork.
Bodies go to Redis and Redis' answers back to the client as bytes, never re-encoded.
"""

import os
import threading
from pathlib import Path

import redis

from app.connections import Connections
from app.errors import ApiError
from app.jsonbody import dumps
from app.jsonpath import redis_path, simple_path_segments

LUA_DIR = Path(__file__).parent / "lua"


class DocumentStore:
    """Operations on one storage kind ("json" or "string") under the key prefix."""

    def __init__(self, redis_calls: Connections, prefix: str, kind: str):
        self.redis = redis_calls
        self.kind = kind
        self.key_prefix = f"{prefix}{kind}:"

    def key(self, doc_id: str) -> str:
        return self.key_prefix + doc_id

    def add(self, doc_id: str, body: bytes) -> None:
        if self.kind == "json":
            self.redis.call("JSON.SET", self.key(doc_id), "$", body)
        else:
            self.redis.call("SET", self.key(doc_id), body)

    def replace(self, doc_id: str, body: bytes) -> None:
        """Whole-document replace of an existing document (XX: never creates one)."""
        if self.kind == "json":
            done = self.redis.call("JSON.SET", self.key(doc_id), "$", body, "XX")
        else:
            done = self.redis.call("SET", self.key(doc_id), body, "XX", "KEEPTTL")
        if not done:
            raise not_found(doc_id)

    def get(self, doc_id: str) -> bytes:
        if self.kind == "json":
            document = self.redis.call("JSON.GET", self.key(doc_id))
        else:
            document = self.redis.call("GET", self.key(doc_id))
        if document is None:
            raise not_found(doc_id)
        return document

    def delete(self, doc_id: str) -> None:
        if not self.redis.call("UNLINK", self.key(doc_id)):
            raise not_found(doc_id)


class JsonDocuments(DocumentStore):
    def __init__(self, redis_calls: Connections, prefix: str, scripts: "Scripts"):
        super().__init__(redis_calls, prefix, "json")
        self.scripts = scripts

    def get_path(self, doc_id: str, path: str) -> bytes:
        try:
            found = self.redis.call("JSON.GET", self.key(doc_id), redis_path(path))
        except redis.ResponseError as exc:
            raise path_error(exc, path) from None
        if found is None:
            raise not_found(doc_id)
        return found

    def set_path(self, doc_id: str, path: str, value: bytes) -> int:
        try:
            changed = self.scripts.json_patch(
                keys=[self.key(doc_id)], args=[redis_path(path), value]
            )
        except redis.ResponseError as exc:
            if "index out of range" in str(exc):
                raise ApiError(404, "field_not_found", f"no element at {path!r}") from None
            raise path_error(exc, path) from None
        if changed < 0:
            raise not_found(doc_id)
        if changed == 0:
            raise parent_not_found(path)
        return changed


class StringDocuments(DocumentStore):
    def __init__(self, redis_calls: Connections, prefix: str, scripts: "Scripts"):
        super().__init__(redis_calls, prefix, "string")
        self.scripts = scripts

    def get_path(self, doc_id: str, path: str) -> bytes:
        segments = dumps(simple_path_segments(path))
        status, *found = self.scripts.string_path(keys=[self.key(doc_id)], args=["get", segments])
        if status < 0:
            raise not_found(doc_id)
        return found[0] if status else b"[]"

    def set_path(self, doc_id: str, path: str, value: bytes) -> int:
        segments = dumps(simple_path_segments(path))
        status, *_ = self.scripts.string_path(
            keys=[self.key(doc_id)], args=["set", segments, value]
        )
        if status < 0:
            raise not_found(doc_id)
        if status == 0:
            raise parent_not_found(path)
        return 1


def not_found(doc_id: str) -> ApiError:
    return ApiError(404, "document_not_found", f"no document with id {doc_id!r}")


def parent_not_found(path: str) -> ApiError:
    return ApiError(404, "field_not_found", f"the parent of {path!r} does not exist")


def path_error(exc: redis.ResponseError, path: str) -> Exception:
    message = str(exc)
    if "path" in message.lower() or "Error occurred on position" in message:
        return ApiError(400, "invalid_path", f"invalid JSONPath {path!r}: {message.strip()}")
    return exc


class Scripts:
    """The server-side scripts (EVALSHA, loaded again when Redis forgot them)."""

    def __init__(self, redis_calls: Connections):
        self.json_patch = redis_calls.script((LUA_DIR / "json_patch.lua").read_text())
        self.string_path = redis_calls.script((LUA_DIR / "string_path.lua").read_text())


class Stores:
    """Both stores over one client; built lazily so each forked worker gets its own pool."""

    def __init__(self, redis_url: str, prefix: str, timeout: float, max_connections: int):
        self._config = (redis_url, prefix, timeout, max_connections)
        self._pid = None
        self._lock = threading.Lock()

    def _build(self) -> None:
        redis_url, prefix, timeout, max_connections = self._config
        self.redis = Connections(redis_url, timeout, max_connections)
        scripts = Scripts(self.redis)
        self.json = JsonDocuments(self.redis, prefix, scripts)
        self.string = StringDocuments(self.redis, prefix, scripts)
        self.prefix = prefix
        self._pid = os.getpid()

    def ensure(self) -> "Stores":
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._build()
        return self

    def by_kind(self, kind: str) -> "JsonDocuments | StringDocuments":
        stores = self.ensure()
        return stores.json if kind == "json" else stores.string
