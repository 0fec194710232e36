"""The recorder's codec: every snapshot the tabs build survives encode -> decode unchanged."""

from __future__ import annotations

import dataclasses
import enum
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from arctui.config.backups import BackupSettings
from arctui.models import ServiceState
from arctui.record import codec, event_codec
from arctui.record.frame import Event, Frame, LogCounts, ServiceLogCounts
from arctui.session import demo_session
from arctui.tabs.backups.demo import demo_snapshot
from arctui.tabs.postgres.demo import DemoPostgres
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.reader import RedisReader

NOW = 1_765_000_000.0


@pytest.fixture(scope="module")
def demo_frame() -> Frame:
    session = demo_session(clock=lambda: NOW)
    redis = RedisReader(DemoRedis(clock=lambda: NOW), "demo", clock=lambda: NOW)
    redis.read()
    return Frame(
        ts=NOW,
        stack=session.reader.read(),
        resources=session.resources.read(),
        postgres=DemoPostgres(clock=lambda: NOW).read(),
        redis=redis.read(),
        backups=demo_snapshot(NOW, BackupSettings()),
        logs=LogCounts(5.0, {"api": ServiceLogCounts(12, 2, ("ERROR boom", "ERROR again"))}),
        down={"postgres": "connection refused"},
    )


@pytest.mark.parametrize("source", ["stack", "resources", "postgres", "redis", "backups", "logs"])
def test_every_demo_snapshot_round_trips(demo_frame: Frame, source: str) -> None:
    value = getattr(demo_frame, source)
    assert value is not None
    back = codec.loads(type(value), codec.dumps(value))
    assert back == value
    assert type(back) is type(value)


def test_frame_round_trips_through_compression(demo_frame: Frame) -> None:
    comp = codec.Compressor()
    raw = codec.encode_frame(demo_frame)
    alone = comp.pack(raw)
    assert codec.decode_frame(comp.unpack(alone)) == demo_frame
    # A later frame packed against this one as its keyframe is far smaller.
    later = dataclasses.replace(demo_frame, ts=NOW + 5, down={})
    delta = comp.pack(codec.encode_frame(later), key=raw)
    assert codec.decode_frame(comp.unpack(delta, key=raw)) == later
    assert len(delta) * 4 < len(alone)


def test_enums_tuples_and_nested_types_come_back_typed(demo_frame: Frame) -> None:
    assert demo_frame.stack is not None
    back = codec.decode_frame(codec.encode_frame(demo_frame))
    assert back.stack is not None
    service = back.stack.services[0]
    assert isinstance(service.state, ServiceState)
    assert isinstance(back.stack.services, tuple)
    assert back.redis is not None and isinstance(back.redis.history, tuple)
    if back.redis.history:
        assert isinstance(back.redis.history[0], tuple)
    assert back.logs is not None
    assert isinstance(back.logs.services["api"], ServiceLogCounts)


class Colour(enum.Enum):
    RED = 1


@dataclasses.dataclass(frozen=True)
class Odd:
    by_int: dict[int, str]
    pair: tuple[str, int]
    colour: Colour
    blob: bytes
    maybe: float | None = None
    either: int | str = 0
    anything: Any = None


def test_generic_types() -> None:
    value = Odd({3: "x"}, ("a", 1), Colour.RED, b"\x00\xff", 2.0, "s", {"k": [1]})
    assert codec.loads(Odd, codec.dumps(value)) == value
    assert codec.loads(Odd, codec.dumps(Odd({}, ("", 0), Colour.RED, b""))).maybe is None


def test_defaults_left_out_and_unknown_keys_ignored() -> None:
    plain = codec.to_plain(Event(NOW, "state", "api", "died"))
    assert plain == {"ts": NOW, "kind": "state", "service": "api", "text": "died"}
    plain["from_a_newer_arctui"] = 1
    assert codec.from_plain(Event, plain) == Event(NOW, "state", "api", "died")


def test_every_string_is_redacted_on_the_way_in() -> None:
    event = Event(NOW, "action", "db", "password=hunter2hunter2", {"dsn": "x hunter2hunter2"})
    raw = codec.encode_event(event, redact=lambda s: s.replace("hunter2hunter2", "***"))
    assert b"hunter2" not in raw
    assert codec.decode_event(raw).data == {"dsn": "x ***"}


def test_damaged_bytes_are_a_codec_error() -> None:
    with pytest.raises(codec.CodecError):
        codec.decode_frame(b"{not json")
    with pytest.raises(codec.CodecError):
        codec.Compressor().unpack(b"garbage")


def test_the_store_remembers_pattern_masking_but_learns_new_secrets() -> None:
    # The masking of a repeated string is computed once (it was most of the recorder's
    # encoding CPU); a secret the redactor learns later is still replaced.
    from arctui.config.masking import Redactor

    redactor = Redactor()
    redact = codec.memo_redact(redactor.redact)
    assert redact is not None
    text = "api-1 token=abc123 runs s3cr3t-value-xyz"
    first = redact(text)
    assert redact(text) == first == redactor.redact(text)
    redactor.learn(["s3cr3t-value-xyz"])
    assert "s3cr3t-value-xyz" not in redact(text)
    assert redact(text) == redactor.redact(text)


def test_the_masking_memory_stays_bounded() -> None:
    from arctui.config.masking import Redactor

    redact = codec.memo_redact(Redactor().redact)
    assert redact is not None
    for i in range(codec.MEMO_MAX + 500):
        redact(f"line {i} of a log nobody repeats")
    assert codec._mask_memo.cache_info().currsize <= codec.MEMO_MAX


def test_encoding_reads_each_dataclass_fields_once(
    demo_frame: Frame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dataclasses.fields() per value (some 5,000 in a 50-container frame) and a
    # default_factory call per field were most of to_plain's time.
    codec.encode_frame(demo_frame)
    calls = []
    real = dataclasses.fields
    monkeypatch.setattr(dataclasses, "fields", lambda v: calls.append(v) or real(v))
    again = codec.encode_frame(demo_frame)
    codec.quantize(demo_frame, 3)
    assert calls == []
    assert codec.decode_frame(again) == demo_frame


def test_decoding_reads_each_type_hint_once(
    demo_frame: Frame, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hint's origin and arguments per value were most of a replay's time before its
    # first frame (a 50-container frame holds some 5,000 values).
    import typing

    raw = codec.encode_frame(demo_frame)
    assert codec.decode_frame(raw) == demo_frame
    calls = []
    real = typing.get_origin
    monkeypatch.setattr(typing, "get_origin", lambda h: calls.append(h) or real(h))
    assert codec.decode_frame(raw) == demo_frame
    assert calls == []


def test_quantizer_reuses_unchanged_objects_and_cuts_changed_ones(demo_frame: Frame) -> None:
    # The stack reader hands back the same ContainerInfo objects between events; walking
    # them again was most of a 50-container sample's quantizing.
    stack = demo_frame.stack
    assert stack is not None
    q = codec.Quantizer(3)
    first = q(stack)
    assert first == codec.quantize(stack, 3)
    service = stack.services[0]
    moved = dataclasses.replace(service.containers[0], started_at=1_700_000_000.123456)
    again = dataclasses.replace(
        stack,
        services=(dataclasses.replace(service, containers=(moved, *service.containers[1:])),
                  *stack.services[1:]),
    )  # fmt: skip
    second = q(again)
    assert second.services[0].containers[0].started_at == 1_700_000_000.123
    # an unchanged container: the very object the first call made (a new one each call
    # without the memory, as its times are cut)
    old, new = first.services[1].containers, second.services[1].containers
    assert old and old[0] is not stack.services[1].containers[0]
    assert all(a is b for a, b in zip(old, new, strict=True))
    assert second == codec.quantize(again, 3)


def test_a_stored_event_is_its_text_and_data_compressed_and_reads_back_whole() -> None:
    event = Event(NOW, "slowlog", "", "redis slowlog: 12.5 ms HGETALL bench:h", {"id": 7})
    blob = event_codec.pack_event(event, redact=lambda s: s.replace("bench", "***"))
    assert blob.startswith(event_codec.EVENT_V1)
    assert len(blob) < len(codec.encode_event(event)) / 2
    back = event_codec.unpack_event(NOW, "slowlog", "", blob)
    assert back == Event(NOW, "slowlog", "", "redis slowlog: 12.5 ms HGETALL ***:h", {"id": 7})


def test_an_event_row_of_the_first_form_still_reads() -> None:
    event = Event(NOW, "state", "api", "died", {"action": "die"})
    assert event_codec.unpack_event(NOW, "state", "api", codec.encode_event(event)) == event


def test_a_damaged_event_row_is_a_codec_error() -> None:
    for blob in (event_codec.EVENT_V1 + b"garbage", event_codec.EVENT_V1, b"{not json"):
        with pytest.raises(codec.CodecError):
            event_codec.unpack_event(NOW, "state", "api", blob)


def test_a_compressor_used_from_several_threads_at_once_packs_each_frame_right() -> None:
    # one zstd context per thread and keyframe, reused: shared contexts would mix frames
    comp, key = codec.Compressor(), b'{"services":[' + b'{"name":"svc","cpu":0.1},' * 200
    raws = [key + str(i).encode() * 50 for i in range(40)]

    def work(start: int) -> list[bool]:
        return [comp.unpack(comp.pack(r, key), key) == r for r in raws[start:] + raws[:start]]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, range(0, 40, 10)))
    assert all(all(r) for r in results)
    assert comp.unpack(comp.pack(raws[0])) == raws[0]
