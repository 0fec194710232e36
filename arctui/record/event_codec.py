"""Recorded events as stored: their text and data only, compressed against a fixed
dictionary (time, kind and service are the row's own columns)."""

from __future__ import annotations

import json
import threading

import zstandard

from arctui.record.codec import LEVEL, CodecError, Redact, decode_event, from_plain, to_plain
from arctui.record.frame import Event

# Events as stored: their text and data only (time, kind and service are the row's
# columns), zstd against a fixed dictionary of what event rows repeat. A slowlog entry's
# row went from ~120 to ~40 bytes; events were a quarter of the benchmark stack's store
# growth (benchmarks/recorder_full_bench.py). The version byte names the dictionary:
# never change EVENT_DICT_V1, add a V2. A row that starts with "{" is the old full JSON.
EVENT_V1 = b"\x01"
EVENT_DICT_V1 = (
    b'{"text":"redis slowlog: 0.0 ms HGETALL KEYS * ZRANGE SET GET DEL LRANGE SMEMBERS",'
    b'"data":{"id":1,"duration_us":10000}}{"text":"redis: 1 keys evicted (allkeys-lru)",'
    b'"data":{"evicted":1}}{"text":"doctor: restart-loop (startup) found in ",'
    b'"data":{"check":"not-ready","new":true}}{"text":"arc-worker-1: started",'
    b'"data":{"container":"0123456789ab","action":"start"}}{"text":": died: health '
    b'unhealthy healthy OOM killed restarted exit code","data":{"container":"","action":"die",'
    b'"exit_code":1,"restarts":1}}{"text":"postgres: blocked by pid ","data":{"pid":1}}'
    b'{"text":"the recorder fell behind","data":{"rule":"","key":"","incident":"",'
    b'"severity":"warning","figure":"","threshold":"","since":1,"look":"","sent":true,'
    b'"held":""}}'
)
_EVENT_DICT = zstandard.ZstdCompressionDict(EVENT_DICT_V1, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
_EVENT_ZSTD = threading.local()  # contexts are not shared between threads


def _event_contexts() -> tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor]:
    found: tuple[zstandard.ZstdCompressor, zstandard.ZstdDecompressor] | None = getattr(
        _EVENT_ZSTD, "ctx", None
    )
    if found is None:
        comp = zstandard.ZstdCompressor(
            level=LEVEL, dict_data=_EVENT_DICT, write_content_size=False, write_dict_id=False
        )
        found = _EVENT_ZSTD.ctx = (comp, zstandard.ZstdDecompressor(dict_data=_EVENT_DICT))
    return found


def pack_event(event: Event, redact: Redact | None = None) -> bytes:
    """The stored row's blob: text and data (redacted), compressed."""
    plain = to_plain(event, redact)
    for column in ("ts", "kind", "service"):
        plain.pop(column, None)
    raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return EVENT_V1 + _event_contexts()[0].compress(raw)


def unpack_event(ts: float, kind: str, service: str, blob: bytes) -> Event:
    """The event of a stored row (either form); CodecError when it does not decode."""
    if not blob.startswith(EVENT_V1):
        return decode_event(blob)
    try:
        raw = _event_contexts()[1].decompress(blob[1:], max_output_size=1 << 24)
        plain = json.loads(raw)
    except (zstandard.ZstdError, ValueError) as exc:
        raise CodecError(f"a damaged event: {exc}") from None
    if not isinstance(plain, dict):
        raise CodecError("a damaged event: not a mapping")
    plain.update(ts=ts, kind=kind, service=service)
    try:
        event: Event = from_plain(Event, plain)
    except (ValueError, TypeError, KeyError) as exc:
        raise CodecError(f"not a recorded event: {exc}") from None
    return event
