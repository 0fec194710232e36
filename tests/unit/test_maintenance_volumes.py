"""Volume growth from recorded readings: the slope, days left, and the Disk report's note."""

from __future__ import annotations

import os
from pathlib import Path

from arctui.ops.maintenance.disk import DataRoot, DiskReport, VolumeRow, growth_text, with_growth
from arctui.ops.maintenance.volumes import DAY, growth, slope, tree_size

T0 = 1_700_000_000.0


class Readings:
    """A `VolumeHistory` over a fixed list (the store's own reader is tested live)."""

    def __init__(self, readings, error: str | None = None) -> None:
        self.readings = readings
        self.error = error
        self.asked: list[float] = []

    def volume_sizes(self, since: float):
        self.asked.append(since)
        if self.error:
            raise LookupError(self.error)
        return [r for r in self.readings if r[0] >= since]


def report(free: int | None = 10 * 2**30) -> DiskReport:
    return DiskReport(
        T0 + 2 * DAY,
        volumes=(VolumeRow("pg", 5 * 2**30, 1, True), VolumeRow("redis", 2**20, 1, True)),
        root=DataRoot("/var/lib/docker", free=free, total=100 * 2**30, local=free is not None),
    )


def test_slope_is_the_least_squares_rate_a_day() -> None:
    points = [(T0 + h * 3600, 1000 + 50 * h + (7 if h % 2 else -7)) for h in range(25)]
    found = slope(points)
    assert found is not None and found.readings == 25 and found.span == 24 * 3600
    # The noise alternates around the line: the fit is the line's 50 bytes an hour (+/- the
    # odd count's leftover), not the last-minus-first (1200 + 14 over a day).
    assert abs(found.per_day - 50 * 24) < 1.5
    assert slope(points[:1]) is None
    assert slope([(T0, 1), (T0 + 600, 2)]) is None  # ten minutes say nothing a day


def test_growth_and_days_left_follow_the_readings() -> None:
    readings = [(T0 + i * 3600, {"pg": 5 * 2**30 + i * 2**27, "redis": 2**20}) for i in range(9)]
    rates = growth(readings)
    assert rates["pg"].per_day == 24 * 2**27  # 3 GiB a day
    assert rates["redis"].per_day == 0
    history = Readings(readings)
    out = with_growth(report(), history, T0 + 2 * DAY)
    assert history.asked == [T0 + 2 * DAY - 7 * DAY]
    pg, redis = out.volumes
    assert pg.days_left is not None and abs(pg.days_left - 10 / 3) < 1e-9
    assert out.days_left == pg.days_left  # redis adds nothing
    assert growth_text(pg) == "+3.0 GiB/day, 3.3 days left"
    assert growth_text(redis) == "no growth"
    assert "over the recorder's last 8h00m (9 readings)" in out.growth
    assert out.to_json()["volumes"][0]["growth_per_day_bytes"] == 3 * 2**30


def test_no_recording_says_why_and_shows_nothing() -> None:
    gone = Readings([], "nothing recorded at /x (run `arctui record`)")
    missing = with_growth(report(), gone, T0)
    assert "not recorded (nothing recorded at /x" in missing.growth
    assert all(v.growth is None for v in missing.volumes)
    short = with_growth(report(), Readings([(T0, {"pg": 1}), (T0 + 60, {"pg": 2})]), T0 + 60)
    assert "2 reading(s) recorded; growth needs an hour" in short.growth
    assert growth_text(short.volumes[0]) == "not recorded"


def test_a_remote_data_root_has_growth_but_no_days_left() -> None:
    readings = [(T0, {"pg": 0}), (T0 + DAY, {"pg": 2**30})]
    out = with_growth(report(free=None), Readings(readings), T0 + DAY)
    assert out.volumes[0].growth is not None and out.volumes[0].days_left is None
    assert out.days_left is None and "not measured here" in out.growth
    assert growth_text(out.volumes[0]) == "+1.0 GiB/day"


def test_tree_size_counts_files_once_and_no_directories(tmp_path: Path) -> None:
    (tmp_path / "d" / "e").mkdir(parents=True)
    (tmp_path / "d" / "a").write_bytes(b"x" * 1000)
    (tmp_path / "d" / "e" / "b").write_bytes(b"y" * 234)
    os.link(tmp_path / "d" / "a", tmp_path / "d" / "e" / "a2")  # one file, two names
    (tmp_path / "empty").touch()
    os.symlink("/etc/passwd", tmp_path / "link")  # the link itself, never its target
    expected = 1000 + 234 + len("/etc/passwd")
    assert tree_size(str(tmp_path), float("inf")) == expected


def test_the_store_reader_decodes_each_grid_frame_once(tmp_path: Path, monkeypatch) -> None:
    from arctui.record import store as store_module
    from arctui.record.frame import Frame, VolumeSizes
    from arctui.record.volume_history import RecordedVolumes

    start = 1_800_003_600.0  # a multiple of 3 h: the grid points fall on frames
    path = tmp_path / "rec.db"
    with store_module.Store.open(path) as store:
        for i in range(0, 24 * 12 + 1):  # a day, a frame every 5 minutes
            ts = start + i * 300
            taken = start + (i // 12) * 3600  # a reading every hour, carried in each frame
            store.write_frame(Frame(ts, volumes=VolumeSizes(taken, {"pg": int(taken - start)})))
    decoded: list[float] = []
    real = store_module.Store.frame_at

    def counting(self, ts):
        decoded.append(ts)
        return real(self, ts)

    monkeypatch.setattr(store_module.Store, "frame_at", counting)
    history = RecordedVolumes("p", path)
    first = history.volume_sizes(start - 1)
    # 00:00 03:00 ... 24:00 (the newest is the last grid frame too)
    assert [ts - start for ts, _ in first] == [h * 3600.0 for h in range(0, 25, 3)]
    assert len(decoded) == 9
    decoded.clear()
    assert history.volume_sizes(start - 1) == first and decoded == []  # all kept
    with store_module.Store.open(path) as store:  # the recorder goes on: a newer frame
        end = start + 86400 + 300
        store.write_frame(Frame(end, volumes=VolumeSizes(end, {"pg": int(end - start)})))
    later = history.volume_sizes(start - 1)
    assert decoded == [end] and later[-1][0] == end  # only the new newest was decoded
    rates = growth(later)
    assert rates["pg"].per_day == DAY  # a byte a second
