"""The recorder's store: seek, events, keyframes, retention, the writer lock, modes, secrets."""

from __future__ import annotations

import dataclasses
import os
import random
import stat

import pytest

from arctui.record import slim as slim_mod
from arctui.record import store as store_mod
from arctui.record.frame import Event, Frame, LogCounts, ServiceLogCounts
from arctui.record.store import Store, StoreError, StoreLocked, StoreMissing

T0 = 1_765_000_000.0


def frame(ts: float, noise: int = 0, text: str = "") -> Frame:
    rng = random.Random(ts)
    services = {
        f"svc{i}": ServiceLogCounts(rng.randrange(100), i, (text,) if text else ())
        for i in range(noise)
    }
    return Frame(ts=ts, logs=LogCounts(5.0, services), down={"redis": f"down {int(ts)}"})


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "rec" / "p.sqlite")
    yield s
    s.close()


def test_seek_returns_the_latest_frame_at_or_before(store: Store) -> None:
    for i in range(30):
        store.write_frame(frame(T0 + 5 * i, noise=3))
    assert store.frame_at(T0 - 1) is None
    assert store.frame_at(T0 + 12) == frame(T0 + 10, noise=3)
    assert store.frame_at(T0 + 10) == frame(T0 + 10, noise=3)
    assert store.frame_at(T0 + 1e6) == frame(T0 + 145, noise=3)
    assert store.frame_times(T0 + 20, T0 + 35) == [T0 + 20, T0 + 25, T0 + 30, T0 + 35]
    assert store.next_frame_time(T0 + 20) == T0 + 25
    assert store.prev_frame_time(T0 + 20) == T0 + 15
    assert store.prev_frame_time(T0) is None and store.next_frame_time(T0 + 145) is None
    assert store.span() == (T0, T0 + 145)


def test_frames_after_the_first_are_packed_against_a_keyframe(store: Store) -> None:
    for i in range(20):
        store.write_frame(frame(T0 + 5 * i, noise=40))
    rows = store._conn.execute("SELECT key_id, length(blob) FROM frames ORDER BY id").fetchall()
    keys = [r for r in rows if r[0] is None]
    # the writer's first keyframe is replaced by the second frame; then one group
    assert len(keys) == 2 and rows[0][0] is None and rows[1][0] is None
    assert max(r[1] for r in rows[2:]) < rows[1][1]
    # A reader opened afresh (no keyframe cached) decodes any frame.
    other = Store.open(store.path, readonly=True)
    assert other.frame_at(T0 + 50) == frame(T0 + 50, noise=40)
    other.close()


def test_the_first_frames_are_packed_against_the_second_not_the_atypical_first(
    store: Store,
) -> None:
    # The recorder's first sample lacks what later ones carry: packing every later frame
    # against it paid for that difference in each of them.
    store.write_frame(_drifting(0))
    for i in range(1, 10):
        store.write_frame(dataclasses.replace(_drifting(120), ts=T0 + 5 * i))
    rows = store._conn.execute("SELECT id, key_id FROM frames ORDER BY id").fetchall()
    second = rows[1][0]
    assert rows[1][1] is None and {r[1] for r in rows[2:]} == {second}


def _drifting(i: int) -> Frame:
    # 300 services of which the first `i` have changed since frame 0 (and stay changed):
    # a frame differs from its predecessor a little, from an old keyframe more and more
    def text(k: int) -> str:
        return f"{random.Random(k * 1000 + (k < i)).random():.17f}"

    services = {f"s{k}": ServiceLogCounts(k, 0, (text(k),)) for k in range(300)}
    return Frame(ts=T0 + 5 * i, logs=LogCounts(5.0, services))


def test_a_new_keyframe_when_a_frame_costs_more_than_its_groups_average(store: Store) -> None:
    frames = [_drifting(i) for i in range(150)]
    for f in frames:
        store.write_frame(f)
    rows = store._conn.execute("SELECT key_id, length(blob) FROM frames ORDER BY id").fetchall()
    key_size = rows[1][1]
    later = [i for i, r in enumerate(rows) if r[0] is None and i > 1]
    assert later, "drift never started a new group"
    # before any frame costs half its keyframe (the older rule alone), and cheaper overall
    assert all(r[1] < key_size * store_mod.KEY_GROWTH for r in rows if r[0] is not None)
    comp = store_mod.codec.Compressor()
    raws = [store_mod.codec.encode_frame(f) for f in frames]
    one_group = (
        len(comp.pack(raws[0]))
        + len(comp.pack(raws[1]))
        + sum(len(comp.pack(r, raws[1])) for r in raws[2:])
    )
    assert sum(r[1] for r in rows) < one_group
    for f in frames[::7]:
        assert store.frame_at(f.ts) == f


def test_a_new_keyframe_every_interval(store: Store) -> None:
    for i in range(5):
        store.write_frame(frame(T0 + i * store_mod.KEY_EVERY_S / 2, noise=2))
    keys = store._conn.execute("SELECT COUNT(*) FROM frames WHERE key_id IS NULL").fetchone()[0]
    assert keys == 3


def test_events_in_time_order_with_filters(store: Store) -> None:
    store.add_events(
        [
            Event(T0 + 20, "restart", "api", "api restarted"),
            Event(T0 + 10, "state", "db", "db died", {"exit": 137}),
            Event(T0 + 30, "oom", "api", "api OOM killed"),
        ]
    )
    assert [e.ts for e in store.events(T0, T0 + 100)] == [T0 + 10, T0 + 20, T0 + 30]
    assert [e.kind for e in store.events(T0, T0 + 100, services=["api"])] == ["restart", "oom"]
    assert [e.text for e in store.events(T0, T0 + 100, kinds=["state"])] == ["db died"]
    assert store.events(T0, T0 + 100, kinds=["state"])[0].data == {"exit": 137}
    assert store.events(T0 + 11, T0 + 29) == [Event(T0 + 20, "restart", "api", "api restarted")]


def test_a_second_writer_refuses_with_the_reason(store: Store) -> None:
    with pytest.raises(StoreLocked, match=rf"pid {os.getpid()}.*recording into"):
        Store.open(store.path)
    Store.open(store.path, readonly=True).close()  # readers are welcome
    store.close()
    Store.open(store.path).close()  # free again once the first closed


def test_files_are_0600(store: Store) -> None:
    store.write_frame(frame(T0))
    for suffix in ("", "-wal", "-shm", ".lock"):
        path = store.path.with_name(store.path.name + suffix)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_redacted_before_written_no_secret_in_the_bytes(tmp_path) -> None:
    secret = "s3cr3t-Pa55w0rd-xyz"
    path = tmp_path / "p.sqlite"
    s = Store.open(path, redact=lambda t: t.replace(secret, "***"))
    for i in range(3):
        s.write_frame(frame(T0 + 5 * i, noise=2, text=f"ERROR login password {secret}"))
    s.add_events([Event(T0, "action", "db", f"restore with {secret}", {"argv": [secret]})])
    s.close()
    data = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in data
    r = Store.open(path, readonly=True)
    decoded = repr(r.frame_at(T0 + 10)) + repr(r.events(0, 2 * T0))
    assert secret not in decoded and "***" in decoded
    r.close()


def test_clock_jumping_back_keeps_both_and_seeks_by_time(store: Store) -> None:
    for i in range(4):
        store.write_frame(frame(T0 + 5 * i))
    store.write_frame(frame(T0 + 7, noise=1))  # the clock went back 8 s
    assert store.frame_at(T0 + 8) == frame(T0 + 7, noise=1)
    assert store.frame_at(T0 + 16) == frame(T0 + 15)
    assert store.frame_times(T0, T0 + 100) == [T0, T0 + 5, T0 + 7, T0 + 10, T0 + 15]


def _fill(s: Store, start: float, n: int, step: float) -> None:
    for i in range(n):
        s.write_frame(frame(start + i * step, noise=30))


def test_retention_by_size_deletes_oldest_groups_never_the_last_hour(tmp_path) -> None:
    s = Store.open(tmp_path / "p.sqlite")
    step = store_mod.KEY_EVERY_S / 3  # three frames a keyframe group
    _fill(s, T0, 60, step)  # 5 hours
    newest = s.span()[1]
    used = s.bytes_used()
    assert s.enforce_retention(max_bytes=used // 3) > 0
    lo, hi = s.span()
    assert hi == newest and lo > T0
    assert s.bytes_used() <= used // 3 or lo >= newest - store_mod.KEEP_LAST_S - step * 3
    # a limit no store meets: everything older than the last hour goes, that hour stays
    s.enforce_retention(max_bytes=1)
    lo, hi = s.span()
    assert newest - store_mod.KEEP_LAST_S - 3 * step <= lo <= newest - store_mod.KEEP_LAST_S
    assert s.frame_at(lo) is not None  # the first remaining frame still decodes
    s.close()


def test_retention_by_age_counts_from_the_newest_frame(tmp_path) -> None:
    s = Store.open(tmp_path / "p.sqlite")
    day = 86400.0
    _fill(s, T0, 10, day / 2)  # 4.5 days
    s.add_events([Event(T0 + 1, "state", "a", "old"), Event(T0 + 4 * day, "state", "a", "new")])
    s.enforce_retention(keep_days=2)
    lo, hi = s.span()
    assert hi == T0 + 4.5 * day and lo >= hi - 2 * day - day / 2
    assert [e.text for e in s.events(0, 2 * T0)] == ["new"]
    s.close()


def test_missing_and_foreign_files_are_clear_errors(tmp_path) -> None:
    with pytest.raises(StoreMissing, match="nothing recorded"):
        Store.open(tmp_path / "none.sqlite", readonly=True)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a recorder store"):
        Store.open(bad, readonly=True)


def test_a_full_database_is_store_full_and_leaves_nothing_half_written(store: Store) -> None:
    store.write_frame(frame(T0))
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk full"
    with pytest.raises(store_mod.StoreFull, match="full: recording paused"):
        store.write_frame(frame(T0 + 5, noise=2, text=os.urandom(20000).hex()))
    store._conn.execute(f"PRAGMA max_page_count = {pages * 1000}")
    store.write_frame(frame(T0 + 10))
    assert store.frame_times(0, 2 * T0) == [T0, T0 + 10]
    assert store.frame_at(T0 + 10) == frame(T0 + 10)


def test_default_path_is_per_project_under_state(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert store_mod.default_path("arc/../x") == tmp_path / "arctui" / "record" / "arc_.._x.sqlite"


def test_stored_frames_keep_the_last_health_run_capped_and_figures_as_shown(store: Store) -> None:
    from arctui.models import ContainerInfo, HealthCheckResult, ServiceView, StackSnapshot
    from arctui.sources.usage import ContainerStats, HostStats, ResourcesSnapshot

    runs = tuple(
        HealthCheckResult(T0 + k, T0 + k + 0.5, k, f"run {k} " + "x" * 5000) for k in range(5)
    )
    c = ContainerInfo("c1", "p-web-1", "p", "web", "img", "running", health_log=runs)
    stack = StackSnapshot("p", (ServiceView("web", "app", (c,)),), T0, "unix://")
    stats = ContainerStats("c1", "p-web-1", "web", "running", cpu=0.000195, mem=372736,
                           sampled_at=T0 + 0.123456)  # fmt: skip
    res = ResourcesSnapshot("p", (stats,), HostStats(2), T0, "cgroup v2")
    live = Frame(ts=T0, stack=stack, resources=res)
    store.write_frame(live)
    got = store.frame_at(T0)
    assert got is not None and got.stack is not None and got.resources is not None
    (kept,) = got.stack.services[0].containers[0].health_log
    assert kept.exit_code == 4 and kept.start == T0 + 4
    assert kept.output == runs[-1].output[: slim_mod.HEALTH_OUTPUT_MAX]
    shown = got.resources.containers[0]
    # read within the slack of the snapshot's own time: stored as that time
    assert (shown.cpu, shown.mem, shown.sampled_at) == (0.0, 373000, T0)
    assert live.stack is stack and len(c.health_log) == 5  # the live frame is untouched


def test_containers_read_with_their_snapshot_store_no_time_of_their_own(store: Store) -> None:
    # Every container's reading time differed in every frame (a third of a 50-container
    # frame's change); one read pass is stored as the snapshot's time, a stale row keeps
    # its own, and a container not measured stays unmeasured.
    from arctui.record import codec
    from arctui.sources.usage import ContainerStats, HostStats, ResourcesSnapshot

    def at(t: float, jitter: float) -> Frame:
        rows = tuple(
            ContainerStats(f"c{i}", f"w{i}", "w", "running", 0.01, sampled_at=t - i * jitter / 20)
            for i in range(6)
        )
        stale = ContainerStats("old", "p-old-1", "old", "running", cpu=0.0, sampled_at=t - 30)
        idle = ContainerStats("gone", "p-gone-1", "gone", "exited")
        res = ResourcesSnapshot("p", (*rows, stale, idle), HostStats(2), t, "cgroup v2")
        return Frame(ts=T0, resources=res)

    a, b = at(T0, 1.0), at(T0, 1.7)
    one = codec.encode_frame(slim_mod.slim(a))
    assert one == codec.encode_frame(slim_mod.slim(b))
    store.write_frame(a)
    got = store.frame_at(T0)
    assert got is not None and got.resources is not None
    times = [c.sampled_at for c in got.resources.containers]
    assert times == [T0] * 6 + [round(T0 - 30, 1), None]


def test_stored_frames_drop_the_status_text_round_health_times_keep_top_statements(
    store: Store,
) -> None:
    # Each of these differed from the keyframe in every frame of a 50-container stack
    # under pgbench, while no tab shows the difference.
    from arctui.models import ContainerInfo, HealthCheckResult, ServiceView, StackSnapshot
    from arctui.tabs.postgres.demo import DemoPostgres
    from arctui.tabs.postgres.models import Statement

    run = HealthCheckResult(T0 + 0.4, T0 + 1.7, 0, "ok")
    c = ContainerInfo("c1", "p-web-1", "p", "web", "img", "running",
                      status="Up 3 minutes (healthy)", health_log=(run,))  # fmt: skip
    stack = StackSnapshot("p", (ServiceView("web", "app", (c,)),), T0, "unix://")
    pg = DemoPostgres(clock=lambda: T0).read()
    rows = tuple(
        Statement(k, f"SELECT {k}", 10 * k, float(k * 7 % 40), 1.0, k, 5, 1) for k in range(40)
    )
    pg = dataclasses.replace(pg, statements=dataclasses.replace(pg.statements, rows=rows))
    store.write_frame(Frame(ts=T0, stack=stack, postgres=pg))
    got = store.frame_at(T0)
    assert got is not None and got.stack is not None and got.postgres is not None
    kept = got.stack.services[0].containers[0]
    assert kept.status == "" and kept.state == "running" and kept.health == c.health
    assert (kept.health_log[0].start, kept.health_log[0].end) == (round(T0), round(T0 + 1.7))
    top = sorted(rows, key=lambda r: -r.total_ms)[: slim_mod.STATEMENTS_KEPT]
    assert [r.queryid for r in got.postgres.statements.rows] == [r.queryid for r in top]
