"""The binary container the queue's payloads travel in (engine.queue.payloads):
magic, a JSON header, raw blobs; and the small checks every payload shares.
Kept apart so that payloads.py reads as the schema (docs/architecture.md,
"The queue contract")."""

from __future__ import annotations

import json
import math
import re
import struct
from typing import Any

from engine.errors import LienzoError

MAX_BLOB_BYTES = 64 * 1024 * 1024  # a hard sanity cap; decode_image enforces the real 20 MB
MAX_HEADER_BYTES = 256 * 1024
JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")

JSONValue = Any  # a value json.loads returns


class BadPayload(LienzoError):
    """Bytes read from the queue that do not follow the schema."""

    code = "bad_job"


def check_job_id(job_id: object) -> str:
    if not isinstance(job_id, str) or not JOB_ID_RE.fullmatch(job_id):
        raise BadPayload(f"bad job id {job_id!r}")
    return job_id


def _pack(magic: bytes, header: dict[str, JSONValue], blobs: list[bytes]) -> bytes:
    header = dict(header, blobs=[len(b) for b in blobs])
    head = json.dumps(header, separators=(",", ":"), allow_nan=False).encode()
    return b"".join([magic, struct.pack(">I", len(head)), head, *blobs])


def _unpack(magic: bytes, data: object, what: str) -> tuple[dict[str, JSONValue], list[bytes]]:
    if isinstance(data, memoryview):
        data = data.tobytes()
    if not isinstance(data, bytes | bytearray) or len(data) < 8 or data[:4] != magic:
        raise BadPayload(f"{what}: not a Lienzo {what} (bad magic)")
    (n,) = struct.unpack(">I", data[4:8])
    if n > MAX_HEADER_BYTES or 8 + n > len(data):
        raise BadPayload(f"{what}: header length {n} out of range")
    try:
        header = json.loads(bytes(data[8:8 + n]))
    except (ValueError, UnicodeDecodeError) as e:
        raise BadPayload(f"{what}: header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise BadPayload(f"{what}: header is not an object")
    sizes = header.get("blobs")
    if not isinstance(sizes, list) or not all(_is_int(s) and 0 <= s <= MAX_BLOB_BYTES
                                               for s in sizes):
        raise BadPayload(f"{what}: bad blob table")
    if 8 + n + sum(sizes) != len(data):
        raise BadPayload(f"{what}: blob sizes do not add up to the payload length")
    blobs: list[bytes] = []
    at = 8 + n
    for size in sizes:
        blobs.append(bytes(data[at:at + size]))
        at += size
    return header, blobs


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _need(ok: bool, what: str, message: str) -> None:
    if not ok:
        raise BadPayload(f"{what}: {message}")
