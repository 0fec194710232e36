"""What the Postgres tab's parts share: its state, the reading, the rows of the five
views (activity, tables, slow queries, locks, settings), the selection and its detail."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from arctui.tabs.postgres.cli import redactor, source_for
from arctui.tabs.postgres.models import PostgresSnapshot
from arctui.tabs.postgres.report import mask_sql
from arctui.tabs.postgres.view.presenters import (
    COLUMNS,
    QUERY_WIDTH,
    SORT_KEYS,
    VIEWS,
    ActivityFilter,
    activity_order,
    activity_rows,
    lock_rows,
    overview_text,
    settings_rows,
    statement_rows,
    status_text,
    table_rows,
)
from arctui.text import clean, one_line
from arctui.ui.cells import Colours, Row
from arctui.ui.colours import ThemeColours
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.widgets.rows import sync_rows
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.session import Session


class PostgresTabBase(Vertical):
    """The Postgres tab's state and display; the keys and actions are in its subclasses."""

    def __init__(self, session: Session, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.source = source_for(session)
        self.snapshot: PostgresSnapshot | None = None
        self.failure: str = ""
        self.view = "activity"
        self.sort = {v: SORT_KEYS[v][0] for v in VIEWS}
        self.reverse = False
        self.filter_text = ""
        self.hide_idle = True
        self.width = "one-line"
        self.marked: set[int] = set()
        self.selected: str | None = None
        self.rate = session.settings.refresh
        self._palette = ThemeColours()
        self._redact: Any = None
        self._redact_for: Any = object()
        self._rows_stale = False  # True: rebuild the rows even if their keys are the same
        self._columns: tuple[str, str] | None = None
        self._force = threading.Event()
        self.poller: Poller | None = None

    def _read(self) -> PostgresSnapshot:
        """Worker thread: one snapshot (tables and statements when due or asked for)."""
        force = self._force.is_set()
        self._force.clear()
        return self.source.read(force=force)  # type: ignore[no-any-return]

    @property
    def table(self) -> ArcTable:
        """The table of the current view."""
        return self.query_one("#postgres-table", ArcTable)

    def palette(self) -> Colours:
        """Semantic colours from the current theme."""
        return self._palette.get(self.app)

    def redact(self, text: str) -> str:
        """Secrets of the session and of the connection masked."""
        target = getattr(self.source, "target", None)
        if self._redact is None or target is not self._redact_for:
            self._redact, self._redact_for = redactor(self.session, self.source), target
        return str(self._redact(text))

    def on_source_updated(self, message: SourceUpdated) -> None:
        if message.source != "postgres":
            return
        self.snapshot = message.value
        self.failure = ""
        self._rebuild()

    def on_source_failed(self, message: SourceFailed) -> None:
        if message.source != "postgres":
            return
        f = message.failure
        self.failure = f"{f.reason}" + (f" — {f.fix}" if f.fix else "")
        text = Text("Postgres unavailable: ", style="bold")
        text.append(one_line(self.failure, 600))
        text.append(f"\nretrying in {message.retry_in:.0f}s")
        if self.snapshot is not None:
            text.append(" · the tables below are from the last good read")
        self.query_one("#postgres-overview", Static).update(text)

    def _show_views(self) -> None:
        text = Text()
        for i, v in enumerate(VIEWS):
            label = {"activity": "a Activity", "tables": "b Tables", "queries": "Q Slow queries",
                     "locks": "L Locks", "settings": "t Settings"}[v]  # fmt: skip
            text.append(("  " if i else "") + label, style="bold reverse" if v == self.view else "")
        state = "paused" if self.poller and self.poller.schedule.paused else f"every {self.rate:g}s"
        text.append(f"    refresh {state} (p pause, +/- rate)")
        self.query_one("#postgres-views", Static).update(text)

    def _rows(self) -> list[Row]:
        snap = self.snapshot
        if snap is None:
            return []
        palette, width = self.palette(), QUERY_WIDTH[self.width]
        if self.view == "activity":
            order = activity_order(snap, self._filter(), self.sort["activity"], self.reverse)
            return activity_rows(snap, order, self.redact, palette, width, frozenset(self.marked))
        if self.view == "tables":
            return table_rows(snap, self.sort["tables"], self.reverse, palette)
        if self.view == "queries":
            return statement_rows(snap, self.sort["queries"], self.reverse, self.redact, width)
        if self.view == "settings":
            return settings_rows(snap, palette)
        return lock_rows(snap, self.redact, palette, width)

    def _filter(self) -> ActivityFilter:
        return ActivityFilter.parse(self.filter_text, self.hide_idle)

    def _rebuild(self) -> None:
        """Show the snapshot: changed cells only when the rows are the same rows."""
        table = self.table
        header = (self.view, f"{self.sort[self.view]}:{self.reverse}")
        if header != self._columns:
            table.clear(columns=True)
            for key, label in COLUMNS[self.view]:
                if key == self.sort[self.view]:
                    label += " ▲" if self.reverse else " ▼"
                table.add_column(label, key=key)
            self._columns = header
        snap = self.snapshot
        if snap is None:
            return
        if not self.failure:
            self.query_one("#postgres-overview", Static).update(overview_text(snap, self.palette()))
        rows = self._rows()
        rebuild, self._rows_stale = self._rows_stale, False
        sync_rows(table, [(r.key, r.cells) for r in rows], follow=self.selected, rebuild=rebuild)
        shown = len(rows)
        self.query_one("#postgres-status", Static).update(
            status_text(snap, self.view, self._filter(), shown)
        )
        self._update_detail()

    def _selected_pid(self) -> int | None:
        if self.selected is None:
            return None
        if self.view == "activity":
            return int(self.selected.split("@")[0])
        if self.view == "locks":
            return int(self.selected.split(":")[0])
        return None

    def _selected_query(self) -> str:
        snap = self.snapshot
        if snap is None or self.selected is None:
            return ""
        pid = self._selected_pid()
        if pid is not None:
            b = snap.backend(pid)
            if b is not None:
                return b.query
            lock = next((lk for lk in snap.locks if lk.pid == pid), None)
            return lock.query if lock else ""
        if self.view == "queries":
            for i, s in enumerate(snap.statements.rows):
                key = f"{s.queryid}:{s.user}:{s.database}" if s.queryid is not None else f"#{i}"
                if key == self.selected:
                    return s.query
        return ""

    def _update_detail(self) -> None:
        detail = self.query_one("#postgres-detail")
        if not detail.display:
            return
        body = self.query_one("#postgres-detail-body", Static)
        query = self._selected_query()
        if not query:
            body.update(Text("Select a row with a query (activity, slow queries, locks)."))
            return
        pid = self._selected_pid()
        head = Text(f"pid {pid}\n" if pid is not None else "", style="bold")
        head.append(clean(self.redact(mask_sql(query))))
        body.update(head)
