"""The record loop: observers, a full disk pauses and resumes, a clock that goes back;
OpenMetrics text; `arctui history` over a demo recording."""

from __future__ import annotations

import json
import os

from arctui.cli import main
from arctui.record import openmetrics
from arctui.record.frame import Event, Frame, LogCounts, ServiceLogCounts
from arctui.record.recorder import Recorder
from arctui.record.store import Store

T0 = 1_765_000_000.0


class Frames:
    def __init__(self, times: list[float]) -> None:
        self.times = list(times)

    def sample(self) -> tuple[Frame, list[Event]]:
        ts = self.times.pop(0)
        noise = (os.urandom(20000).hex(),)  # incompressible: needs new pages every frame
        logs = LogCounts(5.0, {"api": ServiceLogCounts(3, 1, noise)})
        return Frame(ts=ts, logs=logs), [Event(ts, "state", "api", f"tick {ts}")]

    def close(self) -> None:
        pass


def test_observers_events_are_stored_and_a_broken_one_is_skipped(tmp_path) -> None:
    said: list[tuple[str, bool]] = []

    def alert(frame: Frame, events: list[Event]) -> list[Event]:
        return [Event(frame.ts, "alert", "api", f"saw {len(events)}")]

    def broken(frame: Frame, events: list[Event]) -> list[Event]:
        raise RuntimeError("bug")

    with Store.open(tmp_path / "s.sqlite") as store:
        rec = Recorder(Frames([T0, T0 + 5]), store, 5, [broken, alert],
                       status=lambda t, bad: said.append((t, bad)))  # fmt: skip
        rec.step()
        rec.step()
        kinds = [e.kind for e in store.events(0, 2 * T0)]
    assert kinds == ["state", "alert", "state", "alert"]
    assert len([s for s in said if "observer failed" in s[0]]) == 1


def test_a_full_disk_pauses_then_resumes_with_the_events_kept(tmp_path) -> None:
    said: list[str] = []
    with Store.open(tmp_path / "s.sqlite") as store:
        rec = Recorder(Frames([T0 + 5 * i for i in range(6)]), store, 5,
                       status=lambda t, bad: said.append(t))  # fmt: skip
        rec.step()
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")
        assert rec.step() is None and rec.step() is None
        assert rec.paused_since == T0 + 5
        assert any("full: recording paused" in s for s in said)
        store._conn.execute(f"PRAGMA max_page_count = {pages * 100}")
        assert rec.step() is not None
        assert rec.paused_since is None
        texts = [e.text for e in store.events(0, 2 * T0)]
        assert store.frame_times(0, 2 * T0) == [T0, T0 + 15]
    assert f"tick {T0 + 5}" in texts and f"tick {T0 + 10}" in texts  # held while paused
    assert any(t.startswith("recording paused") for t in texts)
    assert any("recording resumed after 10 s (2 frames lost)" in t for t in texts)


def test_a_clock_that_goes_back_is_an_event(tmp_path) -> None:
    with Store.open(tmp_path / "s.sqlite") as store:
        rec = Recorder(Frames([T0, T0 + 5, T0 - 3600]), store, 5)
        for _ in range(3):
            rec.step()
        back = store.events(0, 2 * T0, kinds=["recorder"])
        assert len(back) == 1 and "went back 3605 s" in back[0].text
        assert store.frame_count() == 3


def test_openmetrics_text() -> None:
    frame = Frame(ts=T0, logs=LogCounts(5.0, {'we"ird\nsvc': ServiceLogCounts(3, 1)}),
                  down={"postgres": "refused"})  # fmt: skip
    text = openmetrics.render(frame, "proj", redact=lambda s: s.replace("proj", "***"))
    assert text.endswith("# EOF\n")
    assert 'arctui_source_up{project="***",source="postgres"} 0.0' in text
    assert 'arctui_log_lines{project="***",service="we\\"ird svc"} 3.0' in text
    assert "# TYPE arctui_log_lines gauge" in text
    assert openmetrics.render(None, "p") == "# EOF\n"


def test_history_reads_a_demo_recording(tmp_path, capsys) -> None:
    from arctui.record.sampler import Sampler
    from arctui.session import demo_session

    path = tmp_path / "d.sqlite"
    session = demo_session()
    sampler = Sampler(session, doctor_every=0)
    with Store.open(path, redact=session.redactor.redact) as store:
        rec = Recorder(sampler, store, 1)
        for _ in range(3):
            rec.step()
    sampler.close()
    session.close()
    assert main(["--demo", "--store", str(path), "history", "--metric", "cpu", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["metric"] == "cpu" and data["series"]
    assert all(len(pts) == 3 for pts in data["series"].values())
    assert main(["--demo", "--store", str(path), "history", "events"]) == 0
    assert "blocker" in capsys.readouterr().out
    assert main(["--demo", "--store", str(path), "history", "--metric", "nope"]) == 2
    assert main(["--demo", "--store", str(tmp_path / "none"), "history"]) == 1
    assert "nothing recorded" in capsys.readouterr().err


def test_the_diagnostics_bundle_carries_the_last_hour(tmp_path, capsys) -> None:
    import tarfile

    from arctui.record.sampler import Sampler
    from arctui.session import demo_session

    path = tmp_path / "d.sqlite"
    session = demo_session()
    sampler = Sampler(session, doctor_every=0)
    with Store.open(path, redact=session.redactor.redact) as store:
        Recorder(sampler, store, 1).step()
    sampler.close()
    session.close()
    out = tmp_path / "b.tar.gz"
    main(["--demo", "--store", str(path), "diagnostics", "-o", str(out)])
    with tarfile.open(out) as tar:
        names = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
        timeline = tar.extractfile(names["recorder/timeline.txt"]).read().decode()
        data = json.loads(tar.extractfile(names["recorder/last-hour.json"]).read())
    assert "blocker" in timeline
    assert data["metrics"]["cpu"]


def test_plot_draws_a_chart_in_mib() -> None:
    """`history --plot`: plotext's functional API (6.x dropped it) draws the series."""
    from arctui.record.history import plot_text

    mib = 1024.0**2
    text = plot_text("memory", "bytes", {"postgres": [(1000.0, 20 * mib), (1005.0, 30 * mib)]})
    assert "memory (MiB)" in text
    assert "30" in text and "31457280" not in text  # the axis in MiB, not raw bytes
