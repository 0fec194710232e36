"""Headless tables: cells are made safe (redacted, cleaned) before they are padded, so a
masked secret, a stripped escape or a wide character never shifts the columns behind it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from arctui.config.masking import MASK, Redactor, active_redactor, use_redactor
from arctui.ops.maintenance.images import ImageRow, ImagesReport
from arctui.ops.maintenance.images_cli import print_report
from arctui.output import cell, table, width

SECRET = "Tag-s3cret-Value-0042"


@pytest.fixture
def redactor() -> Iterator[Redactor]:
    before = active_redactor()
    r = Redactor([SECRET])
    use_redactor(r)
    yield r
    use_redactor(before)


def columns_of(line: str, marker: str) -> int:
    """The display column where `marker` starts in `line`."""
    return width(line[: line.index(marker)])


def test_table_pads_after_masking_cleaning_and_by_display_width(redactor) -> None:
    rows = [
        ("NAME", "VALUE", "END"),
        ("plain", "short", "|a"),
        (f"x{SECRET}", "v", "|b"),  # masked: 22 characters become 7
        ("e\x1b[31mscape", "v", "|c"),  # the escape is stripped before measuring
        ("ウェブ", "v", "|d"),  # 3 characters, 6 columns
    ]
    lines = table(rows)
    assert SECRET not in "".join(lines) and f"x{MASK}" in lines[2]
    assert "\x1b" not in "".join(lines)
    ends = {columns_of(line, "|") for line in lines[1:]}
    assert len(ends) == 1, lines
    assert columns_of(lines[0], "END") == ends.pop()


def test_caps_cut_with_an_ellipsis_and_cells_pad_after_masking(redactor) -> None:
    lines = table([("a" * 50, "|x"), ("b", "|y")], caps=(10, None))
    assert lines[0].startswith("a" * 9 + "…  |x") and lines[1] == "b" + " " * 9 + "  |y"
    assert cell(SECRET, 10) == MASK + " " * (10 - len(MASK))
    assert cell("ab", 5, right=True) == "   ab"
    assert cell("ウェブ", 8) == "ウェブ  "
    assert cell("line\nbreak", 3, cut=True) == "li…"


def test_images_table_keeps_its_columns_when_a_tag_is_masked(redactor, capsys) -> None:
    def row(service: str, image: str) -> ImageRow:
        return ImageRow(service, "app", image, "1", "reg", status="up to date")

    report = ImagesReport(
        "p",
        (row("web", "reg/web:1"), row("api", f"reg/api:{SECRET}"), row("ジョブ", "reg/j:1")),
        0.0,
    )
    print_report(report)
    out = capsys.readouterr().out.splitlines()
    assert SECRET not in "\n".join(out)
    starts = {columns_of(line, "up to date") for line in out[1:4]}
    assert starts == {columns_of(out[0], "STATUS")}, out


def test_disk_volumes_keep_their_columns_when_a_name_is_masked(
    redactor, capsys, monkeypatch
) -> None:
    from arctui.ops.maintenance.disk import DataRoot, DiskReport, VolumeRow
    from arctui.session import demo_session
    from arctui.tabs.maintenance import cli, reader

    report = DiskReport(
        0.0,
        volumes=(VolumeRow("arc_pg", 2**30, 1, True), VolumeRow(f"v-{SECRET}", 5, 2, True)),
        root=DataRoot("/var/lib/docker", note="remote"),
    )
    monkeypatch.setattr(reader, "disk_report", lambda session: report)
    session = demo_session()
    use_redactor(redactor)  # the session registered its own; this test's knows SECRET
    assert cli.disk_command(session, as_json=False) == 0
    out = capsys.readouterr().out.splitlines()
    head = next(i for i, line in enumerate(out) if "VOLUME" in line)
    lines = out[head : head + 3]
    assert SECRET not in "\n".join(out) and f"v-{MASK}" in lines[2]
    assert len({columns_of(line, "not recorded") for line in lines[1:]}) == 1, lines
    assert columns_of(lines[0], "GROWTH") == columns_of(lines[1], "not recorded")


def _diagnostics(rows):
    from arctui.ops.diagnostics import _table

    cols = ("name", "value", "end")
    return _table([dict(zip(cols, r, strict=True)) for r in rows[1:]], cols).splitlines()


def _metrics(rows):
    from arctui.tabs.metrics.cli import _table

    return _table([(r[0], r[1], "1", "2", "3", r[2]) for r in rows[1:]])


def _postgres(rows):
    from arctui.tabs.postgres.report import _table

    return _table(list(rows[0]), [list(r) for r in rows[1:]])


@pytest.mark.parametrize("printer", [_diagnostics, _metrics, _postgres])
def test_every_padding_table_printer_pads_after_masking(redactor, printer) -> None:
    rows = [
        ("NAME", "VALUE", "END"),
        ("plain", "a", "|1"),
        (f"s-{SECRET}", "b", "|2"),
        ("e\x1b]0;title\x07x", "c", "|3"),
        ("ウェブ", "d", "|4"),
    ]
    lines = printer(rows)
    body = [line for line in lines if "|" in line]
    assert len(body) == 4 and SECRET not in "\n".join(lines) and "\x1b" not in "\n".join(lines)
    assert len({columns_of(line, "|") for line in body}) == 1, lines


def test_the_health_table_pads_after_masking(redactor) -> None:
    from arctui.cli_health import health_lines
    from arctui.ops.health.models import HealthReport, ServiceHealth

    names = ("plain", f"s-{SECRET}", "e\x1b[2Jx", "ウェブ")
    services = tuple(ServiceHealth(n, "app", "running", "healthy", "healthy") for n in names)
    lines = health_lines(HealthReport("p", "dev", 0.0, services))
    body = lines[1:5]
    assert SECRET not in "\n".join(lines) and "\x1b" not in "\n".join(lines)
    assert {columns_of(line, "healthy") for line in body} == {columns_of(lines[0], "VERDICT")}
