"""The Postgres tab's actions: cancel/terminate, VACUUM, CREATE EXTENSION, ALTER SYSTEM,
EXPLAIN and copy, each planned here and confirmed by the app's one confirmation path."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from arctui.ops.runner import ActionResult, Outcome
from arctui.tabs.postgres.actions import PgActionError, PgPlan, plan_pg_action
from arctui.tabs.postgres.perform import perform_pg, run_explain
from arctui.tabs.postgres.report import mask_sql
from arctui.tabs.postgres.view.base import PostgresTabBase
from arctui.tabs.postgres.view.modals import ExplainModal, SettingValueModal
from arctui.tabs.postgres.view.presenters import palette_entries
from arctui.text import clean, one_line
from arctui.ui.screens.confirm import ActionFinished, ConfirmActionModal
from arctui.ui.shell import shell

if TYPE_CHECKING:
    from arctui.session import Session


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


class PostgresActions(PostgresTabBase):
    """PostgresTab's mutating and copying keys and its palette entries."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: mutating keys are hidden from the footer and inert.
        mutating = action in ("pg", "set")
        return not (mutating and shell(self.app).actions_disabled)

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
        if snap is None or shell(self.app).actions_disabled:
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
        audit = shell(self.app).audit
        source = self.source
        shell(self.app).confirm_mutation(
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
        allow = not shell(self.app).actions_disabled
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
