"""The Postgres tab: overview, live activity with its blocking tree, tables, slow
queries and locks; cancel/terminate/VACUUM/CREATE EXTENSION behind confirmation."""

from __future__ import annotations

import threading
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Static

from arctui.ops.runner import ActionResult, Outcome
from arctui.tabs.postgres.actions import (
    PgActionError,
    PgPlan,
    perform_pg,
    plan_pg_action,
    run_explain,
)
from arctui.tabs.postgres.cli import redactor, source_for
from arctui.tabs.postgres.models import PostgresSnapshot
from arctui.tabs.postgres.report import mask_sql
from arctui.tabs.postgres.view.modals import ExplainModal, SettingValueModal
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
    palette_entries,
    settings_rows,
    statement_rows,
    status_text,
    table_rows,
)
from arctui.text import clean, one_line
from arctui.ui.cells import Colours, Row
from arctui.ui.colours import ThemeColours
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.screens.confirm import ActionFinished, ConfirmActionModal
from arctui.ui.widgets.filter_box import close_filter
from arctui.ui.widgets.table import ArcTable

if TYPE_CHECKING:
    from arctui.session import Session

RATES = (0.5, 1.0, 2.0, 5.0, 10.0)


class PgConfirmModal(ConfirmActionModal):
    """The shared confirmation modal, running a Postgres action instead of a command."""

    def __init__(self, session: Session, plan: PgPlan, source: Any, audit: Any) -> None:
        super().__init__(session, plan.action, audit)
        self.plan = plan
        self.source = source

    def _work(self) -> None:
        connection = None if self.session.demo else self.source.connection
        simulate = getattr(self.source, "simulate", None)
        try:
            result = perform_pg(
                self.session,
                self.plan,
                connection,
                self.audit,
                on_output=self._output,
                cancel=self.cancel_event,
                simulate=simulate,
            )
        except Exception as exc:  # a bug must not leave the modal spinning
            result = ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")
        self.post_message(ActionFinished(result))


class PostgresTab(Vertical):
    """The platform's Postgres as the last read saw it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "view('activity')", "Activity", show=False, id="postgres.activity"),
        Binding("b", "view('tables')", "Tables", show=False, id="postgres.tables"),
        Binding("Q", "view('queries')", "Slow queries", key_display="Q", id="postgres.queries"),
        Binding("L", "view('locks')", "Locks", show=False, key_display="L", id="postgres.locks"),
        Binding("t", "view('settings')", "Settings", show=False, id="postgres.settings"),
        Binding("equals_sign", "set", "Set", show=False, id="postgres.alter_system"),
        Binding("X", "explain", "Explain", show=False, key_display="X", id="postgres.explain"),
        Binding("slash", "filter", "Filter", show=False, id="postgres.filter"),
        Binding("i", "toggle_idle", "Idle", show=False, id="postgres.hide_idle"),
        Binding("s", "sort", "Sort", show=False, id="postgres.sort"),
        Binding("S", "reverse", "Reverse", show=False, key_display="S", id="postgres.reverse"),
        Binding("p", "pause", "Pause", show=False, id="postgres.pause"),
        Binding("plus", "rate(-1)", "Faster", show=False, id="postgres.faster"),
        Binding("minus", "rate(1)", "Slower", show=False, id="postgres.slower"),
        Binding("w", "wide", "Wide query", show=False, id="postgres.wide"),
        Binding("enter", "toggle_detail", "Details", id="postgres.detail"),
        Binding("escape", "close", "Close", show=False, id="postgres.close"),
        Binding("space", "mark", "Mark", show=False, id="postgres.mark"),
        Binding("C", "pg('cancel')", "Cancel query", key_display="C", id="postgres.cancel"),
        Binding("K", "pg('terminate')", "Terminate", key_display="K", id="postgres.terminate"),
        Binding("V", "pg('vacuum')", "Vacuum", show=False, key_display="V", id="postgres.vacuum"),
        Binding(
            "E",
            "pg('create-extension')",
            "Create ext",
            show=False,
            key_display="E",
            id="postgres.create_extension",
        ),
        Binding("y", "copy('query')", "Copy query", show=False, id="postgres.copy_query"),
        Binding(
            "Y", "copy('pid')", "Copy pid", show=False, key_display="Y", id="postgres.copy_pid"
        ),
    ]

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
        self._shown: dict[str, tuple[Text, ...]] = {}
        self._columns: tuple[str, str] | None = None
        self._force = threading.Event()
        self.poller: Poller | None = None

    # Layout ---------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("connecting to Postgres …"), id="postgres-overview")
        yield Static(id="postgres-views")
        yield Input(placeholder="filter: db:NAME user:NAME min:SECONDS text (Esc clears)",
                    id="postgres-filter")  # fmt: skip
        table = ArcTable(id="postgres-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="postgres-status")
        with VerticalScroll(id="postgres-detail"):
            yield Static(id="postgres-detail-body")

    def on_mount(self) -> None:
        self.query_one("#postgres-filter", Input).display = False
        self.query_one("#postgres-detail").display = False
        self._show_views()
        self.poller = Poller(self, "postgres", self._read, interval=self.rate, hidden_interval=None)
        self.poller.start()
        self.poller.request()

    def on_show(self) -> None:
        # The tab was just shown: keys go to its table, and the data should be fresh.
        self.table.focus()
        if self.poller is not None:
            self.poller.request()

    def on_unmount(self) -> None:
        if self.poller is not None:
            self.poller.stop()
        self.source.close()

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

    # Data -------------------------------------------------------------------------
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
            self._shown = {}
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
        keys = [key for key, _ in COLUMNS[self.view]]
        if [r.key for r in rows] == list(self._shown):
            for row in rows:
                for column, before, after in zip(
                    keys, self._shown[row.key], row.cells, strict=True
                ):
                    if before != after:
                        table.update_cell(row.key, column, after, update_width=True)
        else:
            table.clear()
            for row in rows:
                table.add_row(*row.cells, key=row.key)
            names = [r.key for r in rows]
            if self.selected in names:
                table.move_cursor(row=names.index(self.selected), animate=False)
        self._shown = {r.key: r.cells for r in rows}
        shown = len(rows)
        self.query_one("#postgres-status", Static).update(
            status_text(snap, self.view, self._filter(), shown)
        )
        self._update_detail()

    # Selection and detail ---------------------------------------------------------
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

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.selected = str(event.row_key.value)
            self._update_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_toggle_detail()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()

    # Actions ----------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: mutating keys are hidden from the footer and inert.
        mutating = action in ("pg", "set")
        return not (mutating and getattr(self.app, "actions_disabled", True))

    def action_view(self, view: str) -> None:
        """Switch between activity, tables, slow queries and locks."""
        self.view = view
        self.selected = None
        self._show_views()
        self._rebuild()

    def action_filter(self) -> None:
        """Show the filter box and focus it."""
        box = self.query_one("#postgres-filter", Input)
        box.display = True
        box.focus()

    def action_toggle_idle(self) -> None:
        """Show or hide idle sessions."""
        self.hide_idle = not self.hide_idle
        self._rebuild()

    def action_sort(self) -> None:
        """Sort by the next column of this view."""
        keys = SORT_KEYS[self.view]
        self.sort[self.view] = keys[(keys.index(self.sort[self.view]) + 1) % len(keys)]
        self._rebuild()
        self.notify(f"sorted by {self.sort[self.view]}", timeout=2)

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self.reverse = not self.reverse
        self._rebuild()

    def action_pause(self) -> None:
        """Freeze the display and stop reading (no load on the server while paused)."""
        if self.poller is None:
            return
        self.poller.schedule.paused = not self.poller.schedule.paused
        if not self.poller.schedule.paused:
            self.poller.request()
        self._show_views()

    def action_rate(self, step: int) -> None:
        """Change the refresh interval (0.5 .. 10 s)."""
        i = min(range(len(RATES)), key=lambda k: abs(RATES[k] - self.rate))
        self.rate = RATES[max(0, min(len(RATES) - 1, i + step))]
        if self.poller is not None:
            self.poller.schedule.interval = self.rate
        self._show_views()

    def action_wide(self) -> None:
        """Query column: one line (120 chars) or wide (400)."""
        self.width = "wide" if self.width == "one-line" else "one-line"
        self._shown = {}
        self._rebuild()

    def action_toggle_detail(self) -> None:
        """Open or close the pane with the selected row's full query."""
        detail = self.query_one("#postgres-detail")
        detail.display = not detail.display
        self._update_detail()

    def action_close(self) -> None:
        """Escape: clear the filter, then marks, then close the detail pane."""
        if close_filter(self.query_one("#postgres-filter", Input), self.table):
            return
        if self.marked:
            self.marked.clear()
            self._rebuild()
            return
        self.query_one("#postgres-detail").display = False

    def action_mark(self) -> None:
        """Mark or unmark the selected backend (for cancel/terminate of several)."""
        pid = self._selected_pid() if self.view == "activity" else None
        if pid is None:
            return
        self.marked.symmetric_difference_update({pid})
        self._rebuild()
        self.table.action_cursor_down()

    def action_copy(self, what: str) -> None:
        """Copy the selected query text (secrets masked) or pid to the clipboard."""
        if what == "pid":
            pid = self._selected_pid()
            if pid is None:
                self.notify("select a backend first", severity="warning")
                return
            self.app.copy_to_clipboard(str(pid))
            self.notify(f"copied pid {pid}", timeout=3)
            return
        query = self._selected_query()
        if not query:
            self.notify("no query selected", severity="warning")
            return
        self.app.copy_to_clipboard(clean(self.redact(mask_sql(query))))
        self.notify("copied the query text", timeout=3)

    def action_pg(self, verb: str) -> None:
        """Plan a Postgres action, refuse it (audited) or open its confirmation."""
        snap = self.snapshot
        if snap is None:
            self.notify("no data yet: wait for the first read of Postgres", severity="warning")
            return
        kwargs: dict[str, Any] = {}
        if verb in ("cancel", "terminate"):
            pid = self._selected_pid()
            kwargs["pids"] = sorted(self.marked) or ([pid] if pid is not None else [])
            kwargs["own_pids"] = [snap.overview.own_pid] if snap.overview.own_pid else []
        elif verb == "vacuum" and self.view == "tables" and self.selected:
            t = next((t for t in snap.tables if t.qualified == self.selected), None)
            kwargs["table"] = (t.schema, t.name) if t else None
        elif verb == "create-extension" and (
            snap.statements.available or not snap.statements.preloaded
        ):
            self.notify(
                "pg_stat_statements is already created"
                if snap.statements.available
                else "pg_stat_statements is not preloaded: CREATE EXTENSION would not help",
                severity="warning",
            )
            return
        self._plan_and_confirm(verb, **kwargs)

    def palette_commands(self) -> list[tuple[str, Any, str]]:
        """Palette entries named after the sessions and tables seen now (read-only: none)."""
        snap = self.snapshot
        if snap is None or getattr(self.app, "actions_disabled", True):
            return []
        own = [snap.overview.own_pid] if snap.overview.own_pid else []
        out = []
        for e in palette_entries(snap, self.redact):
            kwargs: dict[str, Any] = {"table": e.table} if e.verb == "vacuum" else {}
            if e.pids:
                kwargs.update(pids=list(e.pids), own_pids=own)
            out.append((e.title, partial(self._plan_and_confirm, e.verb, **kwargs), e.help))
        return out

    def _plan_and_confirm(self, verb: str, **kwargs: Any) -> None:
        target = getattr(self.source, "target", None)
        try:
            plan = plan_pg_action(self.session, target, verb, label="postgres", **kwargs)
        except PgActionError as exc:
            self.notify(str(exc), title=f"cannot {verb}", severity="error", markup=False)
            return
        self._confirm(plan)

    def _confirm(self, plan: PgPlan, callback: Any = None) -> None:
        """Refuse (audited) or open the confirmation of a planned action."""
        audit = self.app.audit  # type: ignore[attr-defined]
        source = self.source
        self.app.confirm_mutation(  # type: ignore[attr-defined]
            plan.action,
            lambda: PgConfirmModal(self.session, plan, source, audit),
            callback or self._action_closed,
        )

    def action_set(self) -> None:
        """Change the selected setting with ALTER SYSTEM (value, then confirmation)."""
        snap = self.snapshot
        setting = None
        if snap is not None and self.view == "settings":
            setting = next((st for st in snap.settings if st.name == self.selected), None)
        if setting is None:
            self.notify("select a setting in the settings view (t)", severity="warning")
            return

        def chosen(value: str | None) -> None:
            if value is None or setting is None:
                return
            try:
                plan = plan_pg_action(
                    self.session,
                    getattr(self.source, "target", None),
                    "alter-system",
                    setting=(setting.name, value, setting.context, setting.source),
                    label="postgres",
                )
            except PgActionError as exc:
                self.notify(str(exc), severity="error", markup=False)
                return
            self._confirm(plan)

        self.app.push_screen(SettingValueModal(setting), callback=chosen)

    def action_explain(self) -> None:
        """EXPLAIN (or, confirmed, EXPLAIN ANALYZE) a query, prefilled from the selection."""
        demo = self.session.demo

        def explain(query: str) -> list[str]:
            if demo:
                return ["Seq Scan on public.orders  (cost=0.00..182340.00 rows=8350000 width=64)",
                        "(demo: nothing ran on a server)"]  # fmt: skip
            return run_explain(self.source.connection, query)

        def analyze(query: str, show: Any) -> None:
            try:
                plan = plan_pg_action(
                    self.session, getattr(self.source, "target", None), "explain-analyze",
                    query=query, label="postgres",
                )  # fmt: skip
            except PgActionError as exc:
                show([], str(exc))
                return

            def done(result: ActionResult | None) -> None:
                if result is not None:
                    show(list(result.output), f"{result.outcome}: {result.message}")

            self._confirm(plan, done)

        query = clean(self.redact(mask_sql(self._selected_query())))
        allow = not getattr(self.app, "actions_disabled", True)
        self.app.push_screen(ExplainModal(query, explain, analyze, self.redact, allow))

    def _action_closed(self, result: ActionResult | None) -> None:
        self.marked.clear()
        if result is not None and result.outcome is not Outcome.DECLINED:
            self.notify(
                f"{result.outcome}: {one_line(result.message, 250)}",
                severity="information" if result.ok else "warning",
                markup=False,
            )
        self._force.set()
        if self.poller is not None:
            self.poller.request()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key in SORT_KEYS[self.view]:
            if key == self.sort[self.view]:
                self.reverse = not self.reverse
            self.sort[self.view] = key
            self._rebuild()
