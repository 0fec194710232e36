"""Postgres tab presenters: filters, tree ordering, highlighting (demo snapshot, no widgets)."""

from __future__ import annotations

from dataclasses import replace

from arctui.tabs.postgres.demo import DemoPostgres
from arctui.tabs.postgres.view.presenters import (
    ActivityFilter,
    activity_order,
    activity_rows,
    backend_kind,
    lock_rows,
    statement_rows,
    status_text,
    table_rows,
)
from arctui.ui.cells import DEFAULT_COLOURS

SNAP = DemoPostgres(clock=lambda: 1000.0).read()
SAME = lambda s: s  # noqa: E731


def test_filter_parsing():
    f = ActivityFilter.parse("db:arc_db user:'ops team' min:5s vacuum", hide_idle=False)
    assert (f.database, f.user, f.min_duration, f.text, f.hide_idle) == (
        "arc_db", "ops team", 5.0, "vacuum", False,
    )  # fmt: skip
    assert ActivityFilter.parse("min:abc").text == "min:abc"
    assert ActivityFilter.parse('unbalanced "quote').text == 'unbalanced "quote'


def test_tree_first_then_sorted_and_filtered():
    order = [(d, b.pid) for d, b in activity_order(SNAP, ActivityFilter(), "duration", False)]
    assert order[:4] == [(0, 2811), (1, 3390), (2, 3402), (2, 3407)]
    rest = [p for _, p in order[4:]]
    assert rest == [2250, 3125, 3501, 3517]  # longest first
    only = activity_order(SNAP, ActivityFilter.parse("min:60"), "duration", False)
    assert [b.pid for _, b in only][4:] == [2250, 3125]
    by_user = activity_order(SNAP, ActivityFilter.parse("user:nobody"), "duration", False)
    assert len(by_user) == 4  # the blocking tree is always shown


def test_idle_hidden_unless_asked():
    idle = replace(SNAP.backends[-1], pid=9999, state="idle", query_s=3.0)
    snap = replace(SNAP, backends=(*SNAP.backends, idle))
    assert 9999 not in [b.pid for _, b in activity_order(snap, ActivityFilter(), "pid", False)]
    shown = activity_order(snap, ActivityFilter(hide_idle=False), "pid", False)
    assert 9999 in [b.pid for _, b in shown]


def test_highlighting_kinds():
    by = {b.pid: b for b in SNAP.backends}
    blocking = SNAP.blocking_pids
    assert backend_kind(by[2811], blocking) == "down"  # blocks others
    assert backend_kind(by[3402], blocking) == "down"  # blocked
    assert backend_kind(by[3125], blocking) == "degraded"  # idle in transaction
    assert backend_kind(by[3501], blocking) == ""


def test_rows_are_plain_text_with_marks():
    order = activity_order(SNAP, ActivityFilter(), "duration", False)
    rows = activity_rows(SNAP, order, SAME, DEFAULT_COLOURS, 120, frozenset({3501}))
    assert rows[1].key == "3390@1" and "└ 3390" in rows[1].cells[0].plain
    marked = next(r for r in rows if r.key == "3501")
    assert marked.cells[0].plain.startswith("●")
    assert len(table_rows(SNAP, "total", False, DEFAULT_COLOURS)) == len(SNAP.tables)
    assert table_rows(SNAP, "table", False, DEFAULT_COLOURS)[0].key == "public.audit_log"
    assert statement_rows(SNAP, "calls", False, SAME, 80)[0].cells[0].plain == "2910000"
    assert [r.cells[1].plain for r in lock_rows(SNAP, SAME, DEFAULT_COLOURS, 80)][:2] == [
        "yes", "WAITING",
    ]  # fmt: skip


def test_status_lines_say_why_things_are_empty():
    snap = replace(SNAP, proc_note="the Docker engine is remote (tcp://x)")
    text = status_text(snap, "activity", ActivityFilter(), 8).plain
    assert "3 blocked" in text and "CPU/Mem/IO empty: the Docker engine is remote" in text
    from arctui.tabs.postgres.reader import missing_extension

    snap = replace(SNAP, statements=missing_extension("", "arc_db"))
    assert "shared_preload_libraries" in status_text(snap, "queries", ActivityFilter(), 0).plain


def test_palette_names_the_sessions_and_tables_that_need_action():
    from arctui.tabs.postgres.view.presenters import palette_entries

    entries = palette_entries(SNAP, lambda s: s.replace("reporting", "***"))
    titles = [e.title for e in entries]
    # Blockers first, then the idle transaction; the autovacuum worker and the quick
    # queries are not offered; an idle transaction has no query to cancel.
    assert titles[:2] == [
        "Cancel query of pid 2811 (***@arc_db, blocking others, 6m12s)",
        "Terminate pid 2811 (***@arc_db, blocking others, 6m12s)",
    ]
    assert "Terminate pid 3125 (arc@arc_db, idle in transaction, 1m35s)" in titles
    assert not any("3125" in t and "Cancel" in t for t in titles)
    assert not any(
        str(pid) in t for pid in (2250, 3501, 3517, SNAP.overview.own_pid) for t in titles
    )
    assert [(e.verb, e.pids) for e in entries[:2]] == [("cancel", (2811,)), ("terminate", (2811,))]
    vacuum = [e for e in entries if e.verb == "vacuum"]
    assert vacuum[0].title == "VACUUM ANALYZE public.events (3,912,000 dead rows)"
    assert vacuum[0].table == ("public", "events") and len(vacuum) == 5
