"""The replay controller: the moment shown and every move between recorded moments."""

from __future__ import annotations

import pytest

from arctui.record.frame import Event, Frame
from arctui.record.replay import Replay, ReplayError
from arctui.record.when import WhenError
from arctui.sources.base import SourceError
from tests.replay_support import CRASHED, START, STEP, MemoryStore, demo_frames


@pytest.fixture(scope="module")
def recording() -> tuple[list[Frame], list[Event]]:
    return demo_frames(count=24, crash_at=12, postgres_down_at=(5,))


def _replay(recording, at: float, **kw) -> tuple[Replay, MemoryStore]:
    frames, events = recording
    store = MemoryStore(frames, events)
    return Replay(store, at, **kw), store


def _state(replay: Replay) -> str:
    stack = replay.snapshot("stack")
    service = stack.service(CRASHED)
    return service.containers[0].state


def test_the_frame_shown_is_the_latest_at_or_before_the_moment(recording):
    replay, _ = _replay(recording, START + 3 * STEP + 2.5)
    assert replay.frame is not None and replay.frame.ts == START + 3 * STEP
    assert replay.at == START + 3 * STEP + 2.5
    assert replay.clock() == replay.at  # ages on screen are "as of then"


def test_a_moment_before_the_recording_or_an_empty_store_is_refused(recording):
    with pytest.raises(ReplayError, match="reaches back to"):
        _replay(recording, START - 60)
    with pytest.raises(ReplayError, match="no sample"):
        Replay(MemoryStore([]), START)


def test_step_moves_one_sample_and_stops_at_the_ends(recording):
    replay, _ = _replay(recording, START + 11 * STEP)
    assert _state(replay) == "running"
    assert replay.step(1) and replay.frame.ts == START + 12 * STEP
    assert _state(replay) == "exited"  # the crash is one sample later
    assert replay.step(-1) and replay.frame.ts == START + 11 * STEP
    assert _state(replay) == "running"
    first, _ = _replay(recording, START)
    assert not first.step(-1) and first.frame.ts == START
    last, _ = _replay(recording, START + 23 * STEP)
    assert not last.step(1) and last.frame.ts == START + 23 * STEP


def test_step_from_between_samples_goes_to_the_neighbours(recording):
    replay, _ = _replay(recording, START + 4 * STEP + 1)
    assert replay.step(1) and replay.at == START + 5 * STEP
    replay.move_to(START + 4 * STEP + 1)
    assert replay.step(-1) and replay.at == START + 3 * STEP


def test_jumps_by_minutes_are_held_inside_the_recording(recording):
    replay, _ = _replay(recording, START)
    assert replay.jump(60) and replay.at == START + 60
    assert replay.frame.ts == START + 60
    assert replay.jump(600) and replay.at == START + 23 * STEP  # the newest sample
    assert replay.jump(-600) and replay.at == START
    assert not replay.jump(-60)  # already at the oldest


def test_seek_parses_the_typed_time_against_the_wall_clock(recording):
    wall = START + 23 * STEP + 30  # 30 s after the last sample
    replay, _ = _replay(recording, START, wall=lambda: wall)
    assert replay.seek("60s ago") and replay.at == wall - 60
    assert replay.frame.ts == START + 17 * STEP
    with pytest.raises(ReplayError, match="reaches back to"):
        replay.seek("1h ago")
    with pytest.raises(WhenError):
        replay.seek("soon-ish")
    assert replay.at == wall - 60  # a bad seek moves nothing


def test_seek_past_the_last_sample_is_refused(recording):
    replay, _ = _replay(recording, START, wall=lambda: START + 3600)
    with pytest.raises(ReplayError, match="last sample"):
        replay.seek("10m ago")


def test_next_and_previous_event_jump_to_the_sample_showing_it(recording):
    _frames, events = recording
    oom = next(e for e in events if e.kind == "oom")
    action = next(e for e in events if e.kind == "action")
    replay, _ = _replay(recording, START)
    assert replay.next_event() == action
    assert replay.frame.ts == START + 4 * STEP  # the first sample after it
    assert replay.next_event() == oom
    assert replay.frame.ts == START + 12 * STEP and _state(replay) == "exited"
    assert replay.next_event() is None and replay.frame.ts == START + 12 * STEP
    assert replay.prev_event() == action
    assert replay.prev_event() is None


def test_events_of_other_kinds_are_not_stops():
    frames, _ = demo_frames(count=4)
    noise = [Event(START + 6, "slowlog", "redis", "slow"), Event(START + 8, "recorder", "", "x")]
    replay = Replay(MemoryStore(frames, noise), START)
    assert replay.next_event() is None and replay.at == START


def test_play_advances_by_speed_and_stops_at_the_end(recording):
    mono = [100.0]
    replay, _ = _replay(recording, START, monotonic=lambda: mono[0])
    assert replay.next_speed() == 1.0
    mono[0] += 2.0
    assert replay.advance() and replay.at == START + 2.0 and replay.frame.ts == START
    assert replay.next_speed() == 10.0
    mono[0] += 1.0
    replay.advance()
    assert replay.at == START + 12.0 and replay.frame.ts == START + 2 * STEP
    assert replay.next_speed() == 60.0
    mono[0] += 10.0  # 600 s: past the end
    replay.advance()
    assert replay.at == START + 23 * STEP and replay.speed == 0.0
    assert not replay.advance()  # paused
    assert replay.next_speed() == 1.0  # paused -> 1x again


def test_readers_give_the_frames_snapshots_and_say_what_is_missing(recording):
    frames, _ = recording
    replay, _ = _replay(recording, START + 5 * STEP)
    assert replay.reader("docker")() is frames[5].stack
    assert replay.reader("redis")() is frames[5].redis
    assert replay.reader("backups")() is frames[5].backups
    with pytest.raises(SourceError, match=r"Postgres could not be read at .*connection refused"):
        replay.reader("postgres")()
    assert replay.missing("postgres") and replay.missing("redis") is None
    with pytest.raises(SourceError, match="not recorded"):
        replay.reader("scan")()
    volumes = replay.reader("volumes")()
    assert volumes.volumes == () and "not recorded" in volumes.error
    replay.step(1)
    assert replay.reader("postgres")() is frames[6].postgres


def test_resources_come_with_the_window_before_once_per_moment(recording):
    frames, _ = recording
    replay, _ = _replay(recording, START + 10 * STEP)
    read = replay.reader("resources")
    snapshot, past = read()
    assert snapshot is frames[10].resources
    assert [p.taken_at for p in past] == [f.resources.taken_at for f in frames[:10]]
    assert read()[1] == []  # the same moment again: nothing more for the charts
    replay.step(1)
    snapshot, past = read()
    assert snapshot is frames[11].resources and len(past) == 11


def test_stepping_back_and_forth_decodes_each_frame_once(recording):
    replay, store = _replay(recording, START + 10 * STEP)
    version = replay.version
    replay.step(1)
    replay.step(-1)
    replay.step(1)
    assert replay.version == version + 3
    before = store.reads
    replay.step(-1)
    # One lookup for the frame at the moment; the window's frames are all cached.
    assert store.reads - before == 1
