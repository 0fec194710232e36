"""Frames and events to bytes and back, by the dataclasses' own type hints.

`to_plain` turns a frozen dataclass into JSON-able data (fields equal to their default are
left out, so a frame stays small and a field added later decodes old rows with its
default); `from_plain` rebuilds the same dataclass from its type hints: nested
dataclasses, tuples (`tuple[X, ...]` and fixed `tuple[A, B]`), dicts (keys of any plain
type), enums, `X | None`, `Any`. Every string passes `redact` on its way in, so nothing
secret reaches the store.

Compression (measured by `benchmarks/recorder_bench.py`): zstandard with the frame's
keyframe as a raw-content dictionary. Consecutive frames differ in a few figures, so a
frame compressed against its keyframe costs a few hundred bytes, and decoding any frame
needs only its keyframe (fast seek, no chain to replay). zlib's preset dictionary reaches
back 32 KiB only, less than one frame of a 50-container stack.
"""

from __future__ import annotations

import base64
import dataclasses
import enum
import functools
import json
import threading
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

import zstandard

from arctui.config.masking import Redactor, mask_patterns
from arctui.record.frame import Event, Frame

LEVEL = 9  # measured: 3 -> 9 shrinks a keyframe-relative frame ~25 %, 0.4 ms a frame

Redact = Callable[[str], str]

_HINTS: dict[type, dict[str, Any]] = {}
_HINTS_LOCK = threading.Lock()


class CodecError(ValueError):
    """The bytes are not a frame or event this codec wrote."""


def _hints(cls: type) -> dict[str, Any]:
    with _HINTS_LOCK:
        found = _HINTS.get(cls)
        if found is None:
            found = typing.get_type_hints(cls)
            _HINTS[cls] = found
    return found


def _same(value: Any, default: Any) -> bool:
    try:
        return bool(value == default) and type(value) is type(default)
    except Exception:  # an odd __eq__: keep the field
        return False


_NO_DEFAULT = object()
# Per dataclass: (name, default) of each init field, a default_factory's value made once.
# dataclasses.fields() and the factories cost more than the encoding itself (a frame of
# 50 containers has some 5,000 dataclass values; measured with cProfile).
_FIELDS: dict[type, tuple[tuple[str, Any], ...]] = {}


def _init_fields(cls: type) -> tuple[tuple[str, Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        out = []
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            if f.default is not dataclasses.MISSING:
                out.append((f.name, f.default))
            elif f.default_factory is not dataclasses.MISSING:
                out.append((f.name, f.default_factory()))  # compared only, never handed out
            else:
                out.append((f.name, _NO_DEFAULT))
        found = _FIELDS[cls] = tuple(out)
    return found


def memo_redact(redact: Redact | None) -> Redact | None:
    """`redact` with a bounded memory of the pattern masking, when it is a Redactor's.

    A frame repeats the same strings (names, images, states) every sample, and the
    secret-looking patterns cost more than all the rest of a frame's encoding. The known
    secrets are still replaced on every call: the redactor learns new ones as they come,
    and a memory keyed by text alone would miss them. The patterns are a pure function of
    the text, so remembering them is safe; `_mask_memo` holds at most MEMO_MAX strings.
    """
    owner = getattr(redact, "__self__", None)
    if isinstance(owner, Redactor) and getattr(redact, "__func__", None) is Redactor.redact:
        known = owner.redact_known
        return lambda text: _mask_memo(known(text))
    return redact


MEMO_MAX = 4096
_mask_memo = functools.lru_cache(maxsize=MEMO_MAX)(mask_patterns)


def to_plain(value: Any, redact: Redact | None = None) -> Any:
    """JSON-able data for a dataclass tree (defaults left out, strings redacted)."""
    kind = type(value)
    if kind is str:
        return redact(value) if redact else value
    if value is None or kind is int or kind is float or kind is bool:
        return value
    if isinstance(value, str):
        text = str(value.value) if isinstance(value, enum.Enum) else value
        return redact(text) if redact else text
    if isinstance(value, bool | int | float):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, enum.Enum):
        return to_plain(value.value, redact)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for name, default in _init_fields(kind):
            v = getattr(value, name)
            if default is not _NO_DEFAULT and _same(v, default):
                continue
            out[name] = to_plain(v, redact)
        return out
    if isinstance(value, Mapping):
        if all(isinstance(k, str) for k in value):
            return {to_plain(k, redact): to_plain(v, redact) for k, v in value.items()}
        return [[to_plain(k, redact), to_plain(v, redact)] for k, v in value.items()]
    if isinstance(value, tuple | list | set | frozenset):
        return [to_plain(v, redact) for v in value]
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    raise TypeError(f"cannot record a {type(value).__name__}")


def from_plain(hint: Any, data: Any) -> Any:
    """Rebuild a value of type `hint` from `to_plain`'s output."""
    if hint is Any or hint is object:
        return data
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        if data is None:
            return None
        arms = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(arms) == 1:
            return from_plain(arms[0], data)
        for arm in arms:  # int | float and the like: the first arm the value fits
            if isinstance(arm, type) and isinstance(data, arm):
                return data
        return from_plain(arms[0], data)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in data)
        return tuple(from_plain(a, v) for a, v in zip(args, data, strict=True))
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        args = typing.get_args(hint) or (Any, Any)
        pairs = data.items() if isinstance(data, dict) else data
        return {from_plain(args[0], k): from_plain(args[1], v) for k, v in pairs}
    if origin in (list, set, frozenset):
        (arg,) = typing.get_args(hint) or (Any,)
        return origin(from_plain(arg, v) for v in data)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return _dataclass(hint, data)
        if issubclass(hint, enum.Enum):
            return hint(data)
        if hint is bytes:
            return base64.b64decode(data["$b"])
        if hint is float and isinstance(data, int) and not isinstance(data, bool):
            return float(data)
        return data
    return data


def _dataclass(cls: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise CodecError(f"{cls.__name__}: expected a mapping")
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.init and f.name in data:  # unknown keys (a newer arctui) are ignored
            kwargs[f.name] = from_plain(hints[f.name], data[f.name])
    return cls(**kwargs)


def dumps(value: Any, redact: Redact | None = None) -> bytes:
    """A dataclass tree as compact JSON bytes (the uncompressed record)."""
    plain = to_plain(value, redact)
    return json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(cls: type, raw: bytes) -> Any:
    """The dataclass of type `cls` from `dumps` bytes."""
    try:
        return from_plain(cls, json.loads(raw))
    except (ValueError, TypeError, KeyError) as exc:
        raise CodecError(f"not a recorded {cls.__name__}: {exc}") from None


class Compressor:
    """zstd against a keyframe: `pack(raw, key)` / `unpack(blob, key)` (key None: alone)."""

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._cache: dict[bytes, zstandard.ZstdCompressionDict] = {}

    def _dict(self, key: bytes) -> zstandard.ZstdCompressionDict:
        found = self._cache.get(key)
        if found is None:
            found = zstandard.ZstdCompressionDict(key, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            if len(self._cache) > 8:  # replay steps within a few keyframes
                self._cache.clear()
            self._cache[key] = found
        return found

    def pack(self, raw: bytes, key: bytes | None = None) -> bytes:
        """`raw` compressed (against `key`, the keyframe's raw bytes, when given)."""
        if key is None:
            return zstandard.ZstdCompressor(level=self.level).compress(raw)
        comp = zstandard.ZstdCompressor(level=self.level, dict_data=self._dict(key))
        return comp.compress(raw)

    def unpack(self, blob: bytes, key: bytes | None = None) -> bytes:
        """The raw bytes of `pack(raw, key)`; CodecError when they do not decode."""
        try:
            if key is None:
                return zstandard.ZstdDecompressor().decompress(blob)
            return zstandard.ZstdDecompressor(dict_data=self._dict(key)).decompress(blob)
        except zstandard.ZstdError as exc:
            raise CodecError(f"a damaged record: {exc}") from None


def encode_frame(frame: Frame, redact: Redact | None = None) -> bytes:
    """A frame as raw (uncompressed) bytes."""
    return dumps(frame, redact)


def decode_frame(raw: bytes) -> Frame:
    """The frame of `encode_frame` bytes."""
    frame: Frame = loads(Frame, raw)
    return frame


def encode_event(event: Event, redact: Redact | None = None) -> bytes:
    """An event as raw bytes (its `data` redacted too)."""
    return dumps(event, redact)


def decode_event(raw: bytes) -> Event:
    """The event of `encode_event` bytes."""
    event: Event = loads(Event, raw)
    return event


def _round(x: float, digits: int) -> float:
    if x != x or x in (float("inf"), float("-inf")) or x == 0:
        return x
    if abs(x) >= 1e8:  # a unix time: to the millisecond
        return round(x, 3)
    return float(f"{x:.{digits}g}")


def quantize(value: Any, digits: int = 4) -> Any:
    """The same dataclass tree with every float cut to `digits` significant digits.

    Figures read at one moment carry noise far below what a chart or a table shows; the
    noise is what makes consecutive frames differ, so cutting it shrinks the store
    several times over (benchmarks/recorder_bench.py). Unix times keep milliseconds.
    """
    kind = type(value)
    if kind is float:
        return _round(value, digits)
    if kind in _PLAIN or value is None:
        return value
    if isinstance(value, float):
        return _round(value, digits)
    if isinstance(value, str | int | bytes | enum.Enum):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for name, _default in _init_fields(kind):
            old = getattr(value, name)
            if type(old) in _PLAIN or old is None:
                continue  # most fields: nothing to cut, no call
            new = quantize(old, digits)
            if new is not old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple):
        items = tuple(quantize(v, digits) for v in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        return {k: quantize(v, digits) for k, v in value.items()}
    return value


_PLAIN = frozenset({str, int, bool, bytes})
