"""The big-key scan over the demo source and small doubles (the real server: integration)."""

from __future__ import annotations

import threading
from typing import Any

from arctui.sources.base import SourceError
from arctui.tabs.redis import scan as scan_mod
from arctui.tabs.redis.demo import DemoRedis
from arctui.tabs.redis.models import ScanProgress
from arctui.tabs.redis.scan import NO_PREFIX, BigKeyScan, prefix_of


def test_demo_scan_finds_the_planted_big_keys_and_summarises() -> None:
    progress: list[ScanProgress] = []
    result = BigKeyScan(DemoRedis(), top=5, batch=100).run(progress.append)
    assert result.complete and not result.stopped and result.error is None
    assert result.scanned == result.dbsize
    top = result.by_memory(3)
    assert [k.key for k in top] == ["events:orders", "queue:email:dead", "cache:report:2026-11"]
    assert result.by_elements(1)[0].key == "cache:report:2026-11"
    assert result.by_elements(1)[0].unit == "bytes"
    by_type = {t.type: t for t in result.types}
    assert by_type["list"].biggest is not None
    assert by_type["list"].biggest.key == "queue:email:dead"
    assert by_type["string"].keys == 2400 + 600 + 2 + 1
    prefixes = {p.prefix: p for p in result.prefixes}
    assert prefixes["session:*"].keys == 2400
    assert progress[-1].done and progress[-1].fraction == 1.0
    # The key with escapes and markup comes back escaped, its bytes kept for actions.
    (evil,) = BigKeyScan(DemoRedis(), pattern="import:*").run().keys
    assert evil.key.startswith("import:\\x1b]0;pwned\\a[@click=app.quit]:caf\\xc3\\xa9")
    assert evil.raw.startswith(b"import:\x1b]0;pwned\x07")


def test_pattern_limits_the_scan() -> None:
    result = BigKeyScan(DemoRedis(), pattern="queue:*", top=10).run()
    assert {k.key for k in result.keys} == {
        "queue:email",
        "queue:sms",
        "queue:webhook",
        "queue:email:dead",
    }


def test_stop_flag_ends_the_scan_with_a_partial_result() -> None:
    scan = BigKeyScan(DemoRedis(), batch=10)

    def stop_soon(p: Any) -> None:
        scan.stop.set()

    scan_mod_progress = scan_mod.PROGRESS_EVERY
    scan_mod.PROGRESS_EVERY = 0.0
    try:
        result = scan.run(stop_soon)
    finally:
        scan_mod.PROGRESS_EVERY = scan_mod_progress
    assert result.stopped and not result.complete
    assert 0 < result.scanned < result.dbsize


class _Fake:
    """A tiny server: keys -> (type, memory, length); MEMORY USAGE may be refused."""

    label = "fake:6379/0"

    def __init__(self, keys: dict[bytes, tuple[str, int, int]], memory_ok: bool = True) -> None:
        self.keys = keys
        self.memory_ok = memory_ok
        self.order = list(keys)
        self.vanish: set[bytes] = set()
        self.fail_scan_at: int | None = None

    def dbsize(self) -> int:
        return len(self.keys)

    def scan(self, cursor: int, match: str | None, count: int) -> tuple[int, list[bytes]]:
        if self.fail_scan_at is not None and cursor >= self.fail_scan_at:
            raise SourceError("Redis at fake: did not answer SCAN within 3 s")
        chunk = self.order[cursor : cursor + count]
        for k in self.vanish:
            self.keys.pop(k, None)
        return (cursor + count if cursor + count < len(self.order) else 0), chunk

    def pipeline(self, commands, what, while_waiting=None):  # type: ignore[no-untyped-def]
        if while_waiting is not None:
            while_waiting()
        out: list[Any] = []
        for cmd in commands:
            if cmd[0] == "SCAN":
                try:
                    cursor, keys = self.scan(int(cmd[1]), None, int(cmd[-1]))
                except SourceError as exc:
                    out.append(Exception(exc.reason))
                    continue
                out.append([str(cursor).encode(), keys])
                continue
            entry = self.keys.get(cmd[-1])
            if cmd[0] == "TYPE":
                out.append(entry[0].encode() if entry else b"none")
            elif cmd[0] == "MEMORY":
                out.append(entry[1] if entry else None)
                if not self.memory_ok:
                    out[-1] = Exception("ERR unknown command 'MEMORY'")
            else:
                out.append(entry[2] if entry else 0)
        return out


def test_memory_usage_refused_still_ranks_by_elements_and_says_why() -> None:
    fake = _Fake({b"a": ("list", 10, 5), b"b": ("hash", 20, 50)}, memory_ok=False)
    result = BigKeyScan(fake).run()  # type: ignore[arg-type]
    assert result.memory_error is not None and "MEMORY" in result.memory_error
    assert result.by_elements(1)[0].key == "b"
    assert all(k.memory is None for k in result.keys)


def test_keys_deleted_during_the_scan_are_skipped() -> None:
    fake = _Fake({b"a": ("string", 100, 30), b"b": ("string", 90, 20)})
    fake.vanish = {b"a"}
    result = BigKeyScan(fake).run()  # type: ignore[arg-type]
    assert [k.key for k in result.keys] == ["b"]


def test_an_error_mid_scan_keeps_what_was_found() -> None:
    fake = _Fake({f"k{i}".encode(): ("string", i, i) for i in range(50)})
    fake.fail_scan_at = 20
    result = BigKeyScan(fake, batch=10).run()  # type: ignore[arg-type]
    assert result.error and "SCAN" in result.error
    assert result.scanned == 20 and not result.complete


def test_top_keys_are_bounded_and_prefix_table_capped(monkeypatch) -> None:
    monkeypatch.setattr(scan_mod, "MAX_PREFIXES", 5)
    fake = _Fake({f"p{i}:x".encode(): ("string", i, i) for i in range(40)})
    result = BigKeyScan(fake, top=3).run()  # type: ignore[arg-type]
    assert len(result.by_memory()) <= 6  # top 3 by memory + top 3 by elements, merged
    assert [k.memory for k in result.by_memory(3)] == [39, 38, 37]
    assert len(result.prefixes) == 5 and result.other_prefixes == 35


def test_prefix_of() -> None:
    assert prefix_of(b"session:abc:1") == b"session:"
    assert prefix_of(b"plain") is None and prefix_of(b":lead") is None
    assert NO_PREFIX.startswith("(")


def test_scan_runs_on_a_thread_and_can_be_stopped_from_another() -> None:
    scan = BigKeyScan(DemoRedis(), batch=1, pause=0.01)
    worker = threading.Thread(target=lambda: setattr(scan, "out", scan.run()))
    worker.start()
    scan.stop.set()
    worker.join(5)
    assert not worker.is_alive() and scan.out.stopped  # type: ignore[attr-defined]
