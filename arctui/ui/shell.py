"""What views, screens and palette providers may ask of the app: the `Shell` protocol.

Views see the app as Textual's `App`, which knows nothing of arctui. Instead of
`getattr(self.app, "...", default)` they call `shell(self.app)` and get this interface.
`ArcApp` satisfies it; mypy checks that (`arctui/ui/app.py` assigns the class to
`type[Shell]`), so a renamed or retyped member fails the type check, not a key press.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

    from arctui.models import StackSnapshot
    from arctui.ops.audit import AuditLog
    from arctui.ops.health.monitor import EventHistory
    from arctui.ops.lifecycle import Action
    from arctui.ops.runner import ActionResult
    from arctui.session import Session
    from arctui.ui.fleet_cells import EngineTag
    from arctui.ui.polling import Poller


class Shell(Protocol):
    """The app as the views use it (besides Textual's own `App` API)."""

    # (No member is named `action_*`: Textual would take it for a key action.)
    # Set by the views: the Services tab's highlighted row (the doctor wizard starts there),
    # the health history (made on first use), when the operator last pressed a key.
    selected_service: str | None
    health_history: EventHistory | None
    last_key_at: float
    arc_theme_names: list[str]

    @property
    def session(self) -> Session: ...

    @property
    def snapshot(self) -> StackSnapshot | None: ...

    @property
    def actions_disabled(self) -> bool:
        """True in read-only mode: no mutating path is offered."""
        ...

    @property
    def mutation_busy(self) -> bool:
        """True while a mutation is being confirmed or run (one at a time)."""
        ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def active_tab(self) -> str: ...

    def current_snapshot(self) -> StackSnapshot | None: ...

    def confirm_mutation(
        self,
        action: Action,
        modal: Callable[[], Screen[Any]],
        on_closed: Callable[[Any], None] | None = None,
        *,
        mutates: bool = True,
        check: Callable[[], str | None] | None = None,
        session: Session | None = None,
    ) -> bool: ...

    def lifecycle_closed(self, action: Action, result: ActionResult | None) -> None:
        """A lifecycle confirmation closed: show the outcome, read the stack again."""
        ...

    def active_keymap(self) -> Mapping[str, str]:
        """Binding id -> keys of the keymap in force."""
        ...

    def keymap_names(self) -> list[str]: ...

    def switch_keymap(self, name: str) -> None: ...

    def register_poller(self, poller: Poller) -> None: ...

    # Several engines (ui/fleet_app.py): with one, multi_engine is False and the views
    # show exactly what they showed before.
    @property
    def multi_engine(self) -> bool: ...

    @property
    def fleet_version(self) -> int: ...

    def engine_views(self) -> list[tuple[EngineTag, StackSnapshot | None]]: ...

    def engine_session(self, engine: str | None) -> Session: ...

    def engine_snapshot(self, engine: str | None) -> StackSnapshot | None: ...

    def engine_request(self, engine: str | None) -> None: ...

    def unregister_poller(self, poller: Poller) -> None: ...


def shell(app: App[Any]) -> Shell:
    """The app as a `Shell`. Views only ever run inside `ArcApp` (tests included)."""
    return cast("Shell", app)
