"""The Backups tab's confirmation: the app's shared modal, running a backup operation.

`BackupActionModal` is `ConfirmActionModal` (same phases, typed names, Esc to decline or
stop, too-small terminals refused, one audit line for every way out) with the lifecycle
runner swapped for the backup operation; its progress lines stream into the output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from textual.app import App

from arctui.ops.backups.run import Context, RunResult, mutation
from arctui.ops.lifecycle import Action
from arctui.ops.runner import ActionResult, Outcome
from arctui.text import one_line
from arctui.ui.screens.confirm import ActionFinished, ConfirmActionModal
from arctui.ui.shell import shell


@dataclass(frozen=True)
class BackupAction:
    """One requested operation: audit name, what it targets, what it does, how to run it."""

    action: str  # backup | backup-verify | backup-delete | backup-prune | restore | drill
    target: str
    summary: str
    command: str  # the equivalent headless command
    run: Callable[[Context], RunResult]
    consequence: str = ""
    destructive: bool = False

    def planned(self, ctx: Context) -> Action:
        """The `Action` the gate checks and records, with what the modal shows."""
        action = mutation(ctx.session, self.action, "backups", self.target, self.command)
        return replace(
            action,
            summary=self.summary,
            consequence=self.consequence,
            destructive=self.destructive,
        )


def confirm_backup(
    app: App[Any],
    ctx: Context,
    request: BackupAction,
    on_closed: Callable[[Any], None] | None = None,
) -> None:
    """Open the modal through the app's one confirmation path (checks on a worker)."""
    shell(app).confirm_mutation(
        request.planned(ctx),
        lambda: BackupActionModal(ctx, request),
        on_closed,
        mutates=request.action != "backup-verify",  # verify only reads (runs in read-only)
    )


class BackupActionModal(ConfirmActionModal):
    """Confirm, run and audit one backup operation."""

    def __init__(self, ctx: Context, request: BackupAction) -> None:
        super().__init__(ctx.session, request.planned(ctx), ctx.audit)
        self.ctx = ctx
        self.request = request
        ctx.cancel = self.cancel_event  # Esc or Stop cancels the running command
        ctx.progress = self._progress

    def _progress(self, line: str) -> None:
        self._output(one_line(line, 400))  # names and errors from outside: one clean line

    def _work(self) -> None:
        try:
            result = self.request.run(self.ctx).action_result()
        except Exception as exc:  # a bug must not leave the modal spinning
            result = ActionResult(Outcome.FAILED, None, 0.0, (), f"unexpected error: {exc!r}")
        for line in result.output:  # what each part did (`backup all`, prune, drill)
            self._progress(line)
        self.post_message(ActionFinished(result))
