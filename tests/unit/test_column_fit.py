"""Table columns give way by priority on a narrow terminal (issue 18 items 9 and 12)."""

from __future__ import annotations

from arctui.ui.widgets.stats_table import Column, cut, fit_widths

COLS = [
    Column("name", "Name"),
    Column("role", "Role", priority=4),
    Column("rst", "Rst", 4),
    Column("ports", "Ports", priority=5),
    Column("image", "Image", priority=3, min_width=10, keep_end=True),
]
NATURAL = [10, 8, 4, 12, 30]  # each column also takes 2 cells of padding


def _total(widths: list[int]) -> int:
    return sum(w + 2 for w in widths if w)


def test_everything_shown_when_it_fits() -> None:
    assert fit_widths(COLS, NATURAL, _total(NATURAL)) == NATURAL


def test_a_cuttable_column_shrinks_before_any_column_hides() -> None:
    room = _total(NATURAL) - 5
    assert fit_widths(COLS, NATURAL, room) == [10, 8, 4, 12, 25]


def test_the_highest_priority_number_hides_first_then_the_next() -> None:
    # The image (cuttable to 10) absorbs what it can before Ports hides...
    assert fit_widths(COLS, NATURAL, _total([10, 8, 4, 12, 16])) == [10, 8, 4, 12, 16]
    # ...one cell less than its floor allows: Ports hides and the image gets room back.
    room = _total([10, 8, 4, 12, 10]) - 1
    assert fit_widths(COLS, NATURAL, room) == [10, 8, 4, 0, 23]
    room = _total([10, 8, 4, 0, 10]) - 1
    assert fit_widths(COLS, NATURAL, room) == [10, 0, 4, 0, 19]


def test_priority_zero_columns_are_never_hidden_nor_cut() -> None:
    widths = fit_widths(COLS, NATURAL, 5)
    assert widths[0] == 10 and widths[2] == 4  # the table scrolls instead


def test_every_fit_is_within_the_room_or_only_unhideable_columns_remain() -> None:
    for room in range(0, _total(NATURAL) + 3):
        widths = fit_widths(COLS, NATURAL, room)
        assert _total(widths) <= room or widths == [10, 0, 4, 0, 0]
        assert all(
            w in (0, n) or COLS[i].min_width
            for i, (w, n) in enumerate(zip(widths, NATURAL, strict=True))
        )


def test_cut_marks_where_it_cut() -> None:
    assert cut("ghcr.io/arc/arc-columbo-traces:latest", 20, keep_end=True) == "…lumbo-traces:latest"
    assert cut("ghcr.io/arc/arc-columbo-traces:latest", 8) == "ghcr.io…"
    assert cut("short", 8) == "short"
