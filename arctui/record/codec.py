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
        # Whole answers too, while the redactor knows the same secrets: it only ever
        # learns more, so a change of its count is a change of what it masks. The
        # known-secret pass per string was most of what remained (3,000 strings a frame).
        memo: dict[str, str] = {}
        learnt = [owner.known]

        def cached(text: str) -> str:
            if owner.known != learnt[0]:
                memo.clear()
                learnt[0] = owner.known
            out = memo.get(text)
            if out is None:
                out = _mask_memo(known(text))
                if len(memo) >= MEMO_MAX:
                    memo.clear()
                memo[text] = out
            return out

        return cached
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
    return _decoder(hint)(data)


Decoder = Callable[[Any], Any]
# Per type hint, the function that rebuilds its values: the hint's origin and arguments
# are looked at once, not for each of a frame's some 5,000 values (decoding a frame was
# most of what a replay does before its first frame; measured with cProfile).
_DECODERS: dict[Any, Decoder] = {}


def _same_value(data: Any) -> Any:
    return data


def _decoder(hint: Any) -> Decoder:
    try:
        found = _DECODERS.get(hint)
    except TypeError:  # an unhashable hint (never in a frame): built each time
        return _build_decoder(hint)
    if found is None:
        found = _DECODERS[hint] = _build_decoder(hint)
    return found


def _build_decoder(hint: Any) -> Decoder:
    if hint is Any or hint is object or hint in (str, int, bool):
        return _same_value
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        arms = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(arms) == 1:
            one = _decoder(arms[0])
            return lambda data: None if data is None else one(data)
        types_ = tuple(a for a in arms if isinstance(a, type))
        first = _decoder(arms[0])

        def union(data: Any) -> Any:
            if data is None:
                return None
            for arm in types_:  # int | float and the like: the first arm the value fits
                if isinstance(data, arm):
                    return data
            return first(data)

        return union
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _decoder(args[0])
            if item is _same_value:
                return tuple
            return lambda data: tuple([item(v) for v in data])
        items = [_decoder(a) for a in args]
        return lambda data: tuple(d(v) for d, v in zip(items, data, strict=True))
    if origin in (dict, Mapping) or hint in (dict, Mapping):
        k_hint, v_hint = typing.get_args(hint) or (Any, Any)
        key, value = _decoder(k_hint), _decoder(v_hint)

        def mapping(data: Any) -> Any:
            pairs = data.items() if isinstance(data, dict) else data
            return {key(k): value(v) for k, v in pairs}

        return mapping
    if origin in (list, set, frozenset):
        (arg,) = typing.get_args(hint) or (Any,)
        each, make = _decoder(arg), origin
        return lambda data: make(each(v) for v in data)
    if isinstance(hint, type):
        if dataclasses.is_dataclass(hint):
            return _dataclass_decoder(hint)
        if issubclass(hint, enum.Enum):
            return hint
        if hint is bytes:
            return lambda data: base64.b64decode(data["$b"])
        if hint is float:
            return lambda data: (
                float(data) if isinstance(data, int) and not isinstance(data, bool) else data
            )
    return _same_value


def _dataclass_decoder(cls: type) -> Decoder:
    fields: list[tuple[str, Decoder]] | None = None  # built at first use: hints may recurse

    def decode(data: Any) -> Any:
        nonlocal fields
        if not isinstance(data, dict):
            raise CodecError(f"{cls.__name__}: expected a mapping")
        if fields is None:
            hints = _hints(cls)
            fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls) if f.init]
        # unknown keys (a newer arctui) are ignored
        return cls(**{name: d(data[name]) for name, d in fields if name in data})

    return decode


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
    """zstd against a keyframe: `pack(raw, key)` / `unpack(blob, key)` (key None: alone).

    One compressor and one decompressor per keyframe and thread, reused frame after
    frame: a new ZstdCompressor allocates its context (about a MiB at level 9) and loads
    the dictionary each time, and allocating and freeing that once a frame left the
    recorder's native heap growing (benchmarks/recorder_rss.py, A/B in its README).
    zstd contexts are not shared between threads, hence one set per thread.
    """

    def __init__(self, level: int = LEVEL) -> None:
        self.level = level
        self._cache: dict[bytes, zstandard.ZstdCompressionDict] = {}
        self._local = threading.local()

    def _dict(self, key: bytes) -> zstandard.ZstdCompressionDict:
        found = self._cache.get(key)
        if found is None:
            found = zstandard.ZstdCompressionDict(key, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            if len(self._cache) > 8:  # replay steps within a few keyframes
                self._cache.clear()
            self._cache[key] = found
        return found

    def _contexts(self) -> dict[tuple[bool, bytes | None], Any]:
        found: dict[tuple[bool, bytes | None], Any] | None = getattr(self._local, "ctx", None)
        if found is None:
            found = self._local.ctx = {}
        return found

    def _compressor(self, key: bytes | None) -> zstandard.ZstdCompressor:
        ctx = self._contexts()
        found = ctx.get((True, key))
        if found is None:
            if key is None:
                found = zstandard.ZstdCompressor(level=self.level)
            else:
                # Frames are packed against the newest keyframe only: the older one's
                # context (~1-2 MiB at level 9, its dictionary loaded) is let go.
                for old in [k for k in ctx if k[0] and k[1] is not None]:
                    del ctx[old]
                found = zstandard.ZstdCompressor(level=self.level, dict_data=self._dict(key))
            ctx[(True, key)] = found
        return found

    def _decompressor(self, key: bytes | None) -> zstandard.ZstdDecompressor:
        ctx = self._contexts()
        found = ctx.get((False, key))
        if found is None:
            if len(ctx) > 4:  # replay steps within a few keyframes
                for old in [k for k in ctx if not k[0]]:
                    del ctx[old]
            if key is None:
                found = zstandard.ZstdDecompressor()
            else:
                found = zstandard.ZstdDecompressor(dict_data=self._dict(key))
            ctx[(False, key)] = found
        return found

    def pack(self, raw: bytes, key: bytes | None = None) -> bytes:
        """`raw` compressed (against `key`, the keyframe's raw bytes, when given)."""
        return self._compressor(key).compress(raw)

    def unpack(self, blob: bytes, key: bytes | None = None) -> bytes:
        """The raw bytes of `pack(raw, key)`; CodecError when they do not decode."""
        try:
            return self._decompressor(key).decompress(blob)
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
    return Quantizer(digits)(value)


class Quantizer:
    """`quantize`, remembering the previous call's dataclasses by identity: the stack
    reader hands back the same ContainerInfo objects until an event names one, and
    walking their labels, env and mounts again was most of a 50-container sample's
    quantizing (py-spy on benchmarks/recorder_full_bench.py)."""

    def __init__(self, digits: int = 4) -> None:
        self.digits = digits
        self._prev: dict[int, tuple[Any, Any]] = {}
        self._now: dict[int, tuple[Any, Any]] = {}

    def __call__(self, value: Any) -> Any:
        self._now = {}
        try:
            return self._q(value)
        finally:
            self._prev, self._now = self._now, {}

    def _q(self, value: Any) -> Any:
        kind = type(value)
        if kind is float:
            return _round(value, self.digits)
        if kind in _PLAIN or value is None:
            return value
        if isinstance(value, float):
            return _round(value, self.digits)
        if isinstance(value, str | int | bytes | enum.Enum):
            return value
        if isinstance(value, tuple):
            if all(type(v) in _PLAIN for v in value):
                return value  # names, args, env pairs' parts: nothing to cut
            items = tuple(self._q(v) for v in value)
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            key = id(value)
            hit = self._prev.get(key) or self._now.get(key)
            if hit is not None and hit[0] is value:  # the same object: the same answer
                self._now[key] = hit
                return hit[1]
            changes = {}
            for name, _default in _init_fields(kind):
                old = getattr(value, name)
                if type(old) in _PLAIN or old is None:
                    continue  # most fields: nothing to cut, no call
                new = self._q(old)
                if new is not old:
                    changes[name] = new
            out = dataclasses.replace(value, **changes) if changes else value
            self._now[key] = (value, out)  # the object is held: its id stays its own
            return out
        if isinstance(value, dict):
            if all(type(v) in _PLAIN for v in value.values()):
                return value  # labels: nothing to cut
            return {k: self._q(v) for k, v in value.items()}
        return value


_PLAIN = frozenset({str, int, bool, bytes})
