"""The Redis tab's actions: palette entries, planning, confirmation and its outcome."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.widgets import ContentSwitcher

from arctui.ops.runner import ActionResult, Outcome
from arctui.tabs.redis.actions import POLICIES, RedisActionError, RedisPlan, plan_redis_action
from arctui.tabs.redis.models import BigKey, BigKeysResult
from arctui.tabs.redis.view.modals import RedisConfirmModal, ValueModal
from arctui.tabs.redis.view.presenters import palette_entries
from arctui.tabs.redis.view.scan_panel import ScanPanel
from arctui.text import one_line
from arctui.ui.shell import shell
from arctui.ui.widgets.table import ArcTable
from arctui.units import size


class RedisActions(ScanPanel):
    """RedisTab's action keys and palette entries (they act on the big-key selection too)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Read-only: the action keys are hidden from the footer and inert.
        return not (action == "act" and shell(self.app).actions_disabled)

    def selected_key(self) -> BigKey | None:
        """The big key under the cursor, if the big-keys table is shown."""
        if self.query_one("#redis-panels", ContentSwitcher).current != "redis-bigkeys":
            return None
        table = self.query_one("#redis-bigkeys-table", ArcTable)
        keys = self._visible_keys()
        row = table.cursor_row
        return keys[row] if 0 <= row < len(keys) else None

    def palette_commands(self) -> list[tuple[str, Any, str]]:
        """Palette entries named after what the tab sees now (read-only: none)."""
        if self.snapshot is None or self.source is None:
            return []
        if shell(self.app).actions_disabled:
            return []
        out = []
        for title, verb, key, help_text in palette_entries(self.snapshot, self.scan_result):
            run = partial(self._plan, verb, key=key) if key else partial(self.action_act, verb)
            out.append((title, run, help_text))
        return out

    def action_act(self, verb: str) -> None:
        """Plan a Redis action and open its confirmation."""
        if shell(self.app).mutation_busy:
            return
        if self.source is None or self.snapshot is None:
            self.notify("Redis is not reachable yet", severity="warning")
            return
        if verb == "delete-key":
            key = self.selected_key()
            if key is None:
                self.notify("select a key in the big keys view (b, n) first", severity="warning")
                return
            self._plan(verb, key=key)
        elif verb == "maxmemory":
            o = self.snapshot.overview
            hint = f"Now {size(o.maxmemory) if o.maxmemory else 'no limit'}, used"
            hint += f" {size(o.used_memory)}. Redis units: 512mb, 2gb, 0 = no limit."
            title = "New maxmemory (CONFIG SET maxmemory)"
            self.app.push_screen(ValueModal(title, hint), lambda v: self._valued(verb, v))
        elif verb == "maxmemory-policy":
            hint = f"Now {self.snapshot.overview.maxmemory_policy}. One of: {', '.join(POLICIES)}"
            title = "New maxmemory-policy (CONFIG SET maxmemory-policy)"
            self.app.push_screen(ValueModal(title, hint), lambda v: self._valued(verb, v))
        else:
            self._plan(verb)

    def _valued(self, verb: str, value: str | None) -> None:
        if value:
            self._plan(verb, value=value)

    def _plan(self, verb: str, value: str | None = None, key: BigKey | None = None) -> None:
        assert self.snapshot is not None
        o = self.snapshot.overview
        try:
            plan = plan_redis_action(
                self.session,
                self.source,
                verb,
                value=value,
                key=key,
                used_memory=o.used_memory,
                policy=o.maxmemory_policy,
            )
        except RedisActionError as exc:
            self.notify(str(exc), title=f"cannot {verb}", severity="error", markup=False)
            return
        audit = shell(self.app).audit
        source = self.source
        # The app's one confirmation path guards against a second modal.
        shell(self.app).confirm_mutation(
            plan.action,
            lambda: RedisConfirmModal(self.session, plan, source, audit),
            lambda result: self._action_closed(plan, result),
        )

    def _action_closed(self, plan: RedisPlan, result: ActionResult | None) -> None:
        if result is None or result.outcome is Outcome.DECLINED:
            return
        severity = "information" if result.ok else "error"
        self.notify(
            one_line(f"{plan.action.title}: {result.outcome} - {result.message}", 300),
            severity=severity,  # type: ignore[arg-type]
            markup=False,
        )
        if result.ok and plan.args[0] == "UNLINK" and self.scan_result is not None:
            gone = plan.args[1]
            r = self.scan_result
            self.scan_result = BigKeysResult(
                **{**r.__dict__, "keys": tuple(k for k in r.keys if k.raw != gone)}
            )
            self._render_scan()
        self.poller.request()
