"""Command palette entries for lifecycle actions, built from the current snapshot.

They call the same `request_action` as the keys. In read-only mode only the audit
log is offered.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from arctui.ops.lifecycle import STACK_VERBS
from arctui.text import one_line
from arctui.ui.palette_base import Command, PlainProvider
from arctui.ui.shell import shell

_SERVICE_VERBS = ("start", "stop", "restart", "kill", "pause", "unpause", "scale", "shell")
_STACK_HELP = {
    "up": "docker compose up -d",
    "down": "docker compose down (volumes kept)",
    "kill": "docker compose kill (SIGKILL every container)",
    "clean": "docker compose down -v (VOLUMES REMOVED: data loss)",
    "restart": "docker compose restart",
}


class ActionCommands(PlainProvider):
    """Stack actions, actions on every service, and the audit log."""

    def _commands(self) -> tuple[list[Command], list[Command]]:
        """(all commands, the ones worth listing before anything is typed)."""
        app: Any = self.app
        audit = ("Audit log: every action arctui ran or refused", app.action_audit, "")
        if shell(app).actions_disabled:
            return [audit], [audit]
        stack = [
            (f"Stack {verb}", partial(app.request_action, verb), _STACK_HELP[verb])
            for verb in STACK_VERBS
        ]
        stack.append(
            (
                "Blue-green deployment wizard",
                app.action_bluegreen,
                "start a second copy, wait for health, then tear down the old one",
            )
        )
        snapshot = app.current_snapshot()
        selected = None
        with_service: list[Command] = []
        if snapshot is not None:
            selected = app.selected_service
            for service in snapshot.services:
                name = one_line(service.name, 60)
                for verb in _SERVICE_VERBS:
                    with_service.append(
                        (
                            f"{verb.title()} service {name}",
                            partial(app.request_action, verb, service.name),
                            f"{service.state.value}",
                        )
                    )
        everything = [*stack, *with_service, audit]
        suggested = [*stack, audit]
        if selected:
            suffix = f" service {one_line(selected, 60)}"
            suggested = [c for c in with_service if c[0].endswith(suffix)] + suggested
        return everything, suggested
