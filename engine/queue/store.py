"""The queue's storage: huey, configured from ``LIENZO_QUEUE_URL``, and its
key-value store seen as plain bytes (docs/architecture.md, "The queue contract").

- ``make_huey(url)``: ``sqlite:///path`` → ``SqliteHuey`` (one machine, the
  default ``<data dir>/queue.db``), ``redis://host:port/db`` (or ``rediss://``)
  → ``PriorityRedisHuey`` (any number of machines); anything else is a
  ``QueueConfigError`` at start-up.  huey's immediate mode is refused: jobs run
  in workers, never in the caller.
- ``paint(job_id, attempt)``: the queue's one task.  Its message is tiny; the
  job itself lives under ``spec:<job>``.
- ``KeyValue``: bytes in, bytes out, over either backend (huey's storage API
  plus the two calls it lacks: delete and list by prefix).
- ``SafeSerializer``: huey pickles its own task messages; this unpickler
  accepts nothing but huey's ``Message`` and the ``datetime`` types, so a
  message planted in Redis cannot run code.

Outside the package, only ``redact`` and the two errors are used (through
``engine.queue``): the store itself is reached through ``JobQueue``.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from huey import PriorityRedisHuey, SqliteHuey
from huey.api import Huey
from huey.constants import EmptyData
from huey.serializer import Serializer

from engine.errors import LienzoError

QUEUE_NAME = "lienzo"
#: The message's task name (huey: ``<module>.<function>``) is on the wire: messages queued
#: by an earlier version must still be read, so it stays ``engine.queue.paint``.
TASK_NAME = "engine.queue.paint"


class QueueConfigError(LienzoError):
    """``LIENZO_QUEUE_URL`` names something we cannot use."""

    code = "queue_config"


class QueueUnavailable(LienzoError):
    """The queue store (Redis) cannot be reached."""

    code = "queue_unavailable"


def redact(url: str) -> str:
    """The URL with any password replaced, for logs and error messages."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))


def sqlite_path(url: str) -> Path:
    """``sqlite:///data/queue.db`` → ``data/queue.db``; ``sqlite:////abs/q.db`` → ``/abs/q.db``.

    The SQLAlchemy convention: what follows ``sqlite:///`` is the path, so an
    absolute path has four slashes (``sqlite:///`` + ``/var/lib/...``).
    """
    path = url[len("sqlite:///"):]
    if not url.startswith("sqlite:///") or not path or path.endswith("/"):
        raise QueueConfigError(
            f"LIENZO_QUEUE_URL={url!r}: a SQLite queue is sqlite:///PATH/TO/queue.db "
            "(four slashes for an absolute path: sqlite:////var/lib/lienzo/queue.db)."
        )
    return Path(path).expanduser()


class SafeSerializer(Serializer):  # type: ignore[misc]  # huey ships no type information
    """huey's pickle serializer, minus the ability to run code.

    huey pickles its task messages (a namedtuple) and revocation flags.  This
    unpickler resolves only the few globals those contain, so a message
    planted in Redis by someone else cannot import and call anything.
    """

    ALLOWED = frozenset({
        ("huey.registry", "Message"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
    })

    class _Unpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) in SafeSerializer.ALLOWED:
                return super().find_class(module, name)
            raise pickle.UnpicklingError(f"refusing to unpickle {module}.{name}")

    def _deserialize(self, data: bytes) -> Any:
        return self._Unpickler(io.BytesIO(data)).load()


def make_huey(url: str) -> Huey:
    """The huey instance for ``url``, with the task registered."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "sqlite":
        path = sqlite_path(url)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise QueueConfigError(f"LIENZO_QUEUE_URL: cannot create {path.parent}: {e}") from e
        huey = SqliteHuey(QUEUE_NAME, filename=str(path), results=False,
                          serializer=SafeSerializer(), timeout=30)
    elif scheme in ("redis", "rediss"):
        parts = urlsplit(url)
        db = parts.path.lstrip("/")
        if not parts.hostname or (db and not db.isdigit()):
            raise QueueConfigError(
                f"LIENZO_QUEUE_URL={redact(url)!r}: a Redis queue is redis://HOST:PORT/DB, "
                "e.g. redis://localhost:6379/0."
            )
        try:
            parts.port  # noqa: B018 - raises ValueError on a bad port
        except ValueError as e:
            raise QueueConfigError(f"LIENZO_QUEUE_URL={redact(url)!r}: {e}") from e
        # Blocking pop with a 1 s timeout: a job is picked up as soon as it is
        # enqueued, and a worker looks at its stop flag at least every second.
        from redis import ConnectionPool

        # Timeouts so that a Redis that vanished from the network fails a call in
        # seconds instead of hanging the bot's watcher or a worker for minutes.
        pool = ConnectionPool.from_url(url, socket_connect_timeout=5, socket_timeout=15,
                                       health_check_interval=30)
        huey = PriorityRedisHuey(QUEUE_NAME, connection_pool=pool, results=False,
                                 blocking=True, read_timeout=1, serializer=SafeSerializer())
    else:
        raise QueueConfigError(
            f"LIENZO_QUEUE_URL={redact(url)!r} is not supported: use sqlite:///PATH "
            "(one machine, the default) or redis://HOST:PORT/DB (several machines)."
        )
    if huey.immediate:  # pragma: no cover - huey's default is off; never run jobs in-process
        raise QueueConfigError("huey immediate mode is not supported: jobs run in workers.")
    huey.task(name="paint")(paint)
    return huey


def paint(job_id: str, attempt: int) -> None:
    """The queue's one task.  ``lienzo worker`` reads its arguments and runs the job
    (engine/worker); it is registered only to give messages a name, and is never
    executed by huey's own consumer."""
    raise RuntimeError("Lienzo jobs are run by `lienzo worker`, not by huey_consumer.")


paint.__module__ = TASK_NAME.rsplit(".", 1)[0]  # the wire name (see TASK_NAME)


def _as_bytes(value: Any) -> bytes:
    return value.tobytes() if isinstance(value, memoryview) else bytes(value)


def _as_text(key: str | bytes) -> str:
    return key.decode() if isinstance(key, bytes) else key


class KeyValue:
    """huey's key-value store as bytes, on SQLite or Redis alike."""

    def __init__(self, huey: Huey) -> None:
        self.storage = huey.storage
        self.is_redis = not isinstance(huey, SqliteHuey)

    def put(self, key: str, value: bytes) -> None:
        self.storage.put_data(key, value)

    def get(self, key: str) -> bytes | None:
        value = self.storage.peek_data(key)
        return None if value is EmptyData else _as_bytes(value)

    def has(self, key: str) -> bool:
        return bool(self.storage.has_data_for_key(key))

    def get_many(self, keys: Iterable[str], chunk: int = 400) -> dict[str, bytes]:
        wanted = list(keys)
        found: dict[str, bytes] = {}
        for i in range(0, len(wanted), chunk):
            for k, v in self.storage.peek_many(wanted[i:i + chunk]).items():
                found[_as_text(k)] = _as_bytes(v)
        return found

    def delete(self, *keys: str) -> None:
        if not keys:
            return
        if self.is_redis:
            self.storage.conn.hdel(self.storage.result_key, *keys)
        else:
            marks = ",".join("?" * len(keys))
            self.storage.sql(f"delete from kv where queue = ? and key in ({marks})",
                             (self.storage.name, *keys), commit=True)

    def scan(self, prefix: str) -> list[tuple[str, bytes]]:
        """Every (key, value) whose key starts with ``prefix``."""
        if self.is_redis:
            rows = self.storage.conn.hscan_iter(self.storage.result_key, match=prefix + "*")
        else:
            rows = self.storage.sql("select key, value from kv where queue = ? and key like ?",
                                    (self.storage.name, prefix + "%"), results=True)
        return [(_as_text(k), _as_bytes(v)) for k, v in rows]

    def close(self) -> None:
        if self.is_redis:
            self.storage.pool.disconnect()
        else:
            self.storage.close()


