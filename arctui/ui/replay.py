"""The app in a replay (`arctui --at WHEN`): the REPLAY banner, the moving keys, refusals.

`ReplayApp` sits between `ActionsApp` and `ArcApp`. Live, its keys are hidden and inert.
In a replay:

- the banner under the header says REPLAY, the moment shown, the sample it comes from,
  whether it plays, how far the store reaches back, and the event last jumped to;
- `,` `.` step one sample, `<` `>` jump a minute, `{` `}` ten minutes, `(` `)` the
  previous / next event, `@` seeks to a typed time, `z` plays at 1x, 10x, 60x, pause;
- after every move each poller reads again (the frame, see `ui/polling.py`), and a tab
  whose source has nothing recorded at that moment hides its view behind a notice that
  says so (a tab never shows another moment's data, nor invented data);
- every mutating key says why it is refused, and keys that would read the live stack
  (doctor, diagnostics, EXPLAIN, the big-key scan, MONITOR) say that a
  replay reads nothing live. Palette entries reach the gate, which refuses them too.
  The health view (H) opens: the recorded containers' health and the alerts of the
  moment, without probes (and its wizards key refuses).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual.actions import ActionParseResult
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Static

from arctui.ops.gate import replay_refusal
from arctui.text import one_line
from arctui.ui.actions import ActionsApp

if TYPE_CHECKING:
    from collections.abc import Mapping

    from arctui.record.replay import Replay
    from arctui.ui.polling import Poller

# Binding ids refused in a replay: they change the stack ...
MUTATING_IDS = frozenset(
    {
        "stack.up", "stack.down", "stack.restart", "stack.kill", "stack.clean",
        "stack.bluegreen",
        "services.stop", "services.restart", "services.start", "services.kill",
        "services.pause", "services.scale", "services.shell",
        "postgres.cancel", "postgres.terminate", "postgres.vacuum",
        "postgres.create_extension", "postgres.alter_system",
        "redis.bgsave", "redis.delete", "redis.maxmemory", "redis.policy", "redis.reset",
        "backups.run", "backups.verify", "backups.restore", "backups.delete",
        "backups.drill", "backups.prune",
    }
)  # fmt: skip
# ... or they read the live stack (probes, queries, streams), which a replay never touches.
LIVE_IDS = {
    "app.doctor": "the troubleshooting wizards",
    "app.diagnostics": "the diagnostics bundle",
    "postgres.explain": "EXPLAIN",
    "redis.scan": "the big-key scan",
    "redis.monitor": "MONITOR",
}

REPLAY_CSS = """
ReplayBar {
    height: auto; max-height: 2; padding: 0 1;
    background: $warning 30%; color: $text;
}
.replay-empty { padding: 1 2; color: $text-muted; height: auto; }
"""


def _bindings_by_action(cls: type) -> dict[str, Binding]:
    """Action string -> binding (with an id) of a widget class, along its MRO."""
    found: dict[str, Binding] = {}
    for klass in reversed(cls.__mro__):
        for binding in Binding.make_bindings(vars(klass).get("BINDINGS", ())):
            if binding.id:
                found[binding.action] = binding
    return found


_BY_CLASS: dict[type, dict[str, Binding]] = {}


def binding_for(node: DOMNode, action: str) -> Binding | None:
    """`node`'s binding that runs `action`, if any."""
    found = _BY_CLASS.get(type(node))
    if found is None:
        found = _BY_CLASS[type(node)] = _bindings_by_action(type(node))
    return found.get(action)


def refusal(binding: Binding) -> str | None:
    """Why a key with this binding does nothing in a replay, or None (it may run)."""
    if binding.id in MUTATING_IDS:
        return replay_refusal((binding.description or binding.id).lower())
    if binding.id in LIVE_IDS:
        return (
            f"replay: {LIVE_IDS[binding.id]} would read the live stack; a replay reads "
            "only the recording (run arctui without --at)"
        )
    return None


class ReplayBar(Static):
    """REPLAY, the moment shown, play state, the store's reach, the last event."""

    def show(self, replay: Replay) -> None:
        from arctui.record.when import describe

        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" REPLAY ", style="bold reverse")
        text.append(f" {describe(replay.at)} ", style="bold")
        frame = replay.frame
        if frame is None:
            text.append("· no sample ")
        elif abs(frame.ts - replay.at) >= 0.5:
            text.append(f"· sample of {describe(frame.ts)[11:]} ")
        state = f"▶ {replay.speed:g}x" if replay.speed else "paused"
        text.append(f"· {state} ", style="bold" if replay.speed else "")
        text.append(f"· recorded {replay.describe_reach()} ")
        text.append("· ,/. step <> 1m {} 10m () event @ seek z play", style="dim")
        event = replay.last_event
        if event is not None:
            text.append("\n")
            what = f"{event.kind} {event.service}".strip()
            line = f" event {describe(event.ts)[11:]} {what}: {event.text}"
            text.append(one_line(line, 300))
        self.update(text)


class SeekModal(ModalScreen[str | None]):
    """Type a time to jump to (03:10, 2h ago, an ISO time)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Cancel", id="replay.seek_cancel")
    ]
    DEFAULT_CSS = """
    SeekModal { align: center middle; }
    SeekModal > Vertical {
        width: 70; max-width: 96%; height: auto; border: round $primary;
        background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Go to (03:10, 2h ago, 2026-12-07T03:10; Esc cancels)"))
            yield Input(placeholder="when", id="replay-seek")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)


class ReplayFooter(Footer):
    """The footer of a replay: without the keys a replay refuses (they still say why when
    pressed), so the step, seek and play keys fit at 80 columns."""

    def compose(self) -> ComposeResult:
        refused = {
            key
            for key, active in self.screen.active_bindings.items()
            if refusal(active.binding) is not None
        }
        for child in super().compose():
            if getattr(child, "key", None) in refused:  # a key item (not a group label)
                continue
            yield child


class ReplayApp(ActionsApp):
    """Replay's keys and banner; live, its keys are hidden and inert."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("comma", "replay_step(-1)", "Back", key_display=",", id="replay.back"),
        Binding("full_stop", "replay_step(1)", "Fwd", key_display=".", id="replay.forward"),
        Binding("less_than_sign", "replay_jump(-60)", "-1m", show=False, id="replay.back_1m"),
        Binding("greater_than_sign", "replay_jump(60)", "+1m", show=False, id="replay.forward_1m"),
        Binding(
            "left_curly_bracket", "replay_jump(-600)", "-10m", show=False, id="replay.back_10m"
        ),
        Binding(
            "right_curly_bracket", "replay_jump(600)", "+10m", show=False, id="replay.forward_10m"
        ),
        Binding(
            "left_parenthesis", "replay_event(-1)", "Prev event", show=False, id="replay.prev_event"
        ),
        Binding(
            "right_parenthesis", "replay_event(1)", "Next event", show=False, id="replay.next_event"
        ),
        Binding("at", "replay_seek", "Seek", key_display="@", id="replay.seek"),
        Binding("z", "replay_play", "Play", id="replay.play"),
    ]

    pollers: list[Poller]

    @property
    def replay(self) -> Replay | None:
        """The replay controller, or None when live."""
        return self.session.replay  # type: ignore[no-any-return]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("replay_") and self.replay is None:
            return False  # live: hidden and inert
        return super().check_action(action, parameters)

    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """In a replay, a refused key says why instead of running (see the module doc)."""
        if self.replay is not None and isinstance(action, str):
            node = default_namespace if default_namespace is not None else self
            found = binding_for(node, action)
            reason = refusal(found) if found is not None else None
            if reason:
                self.notify(reason, title="replay", severity="warning", markup=False)
                return True
        return await super().run_action(action, default_namespace, namespaces)

    # Banner and tabs -------------------------------------------------------------------
    def replay_footer(self) -> Footer:
        """The footer: in a replay without the refused keys."""
        return ReplayFooter() if self.replay is not None else Footer()

    def replay_compose(self) -> ComposeResult:
        """The banner (the app yields it under the header in a replay)."""
        yield ReplayBar(id="replay-bar")

    def replay_notice(self, tab_id: str) -> Static:
        """The "nothing recorded" notice of one tab (hidden while there is data)."""
        notice = Static(id=f"{tab_id}-replay-empty", classes="replay-empty", markup=False)
        notice.display = False
        return notice

    def replay_shown(self) -> None:
        """Banner and notices for the moment now shown (after a move, a tab mounted)."""
        replay = self.replay
        if replay is None or not self.is_running:
            return
        from arctui.record.replay import TAB_SOURCES
        from arctui.tabs import TABS

        self.query_one(ReplayBar).show(replay)
        for spec in TABS:
            source = TAB_SOURCES.get(spec.id)
            if source is None:
                missing: str | None = f"the {spec.title} tab is live only: nothing is recorded"
            else:
                missing = replay.missing(source)
            for notice in self.query(f"#{spec.id}-replay-empty").results(Static):
                notice.display = missing is not None
                if missing is not None:
                    notice.update(Text(f"{spec.title}: {missing}."))
            for view in self.query(f"#{spec.id}-tab"):
                view.display = missing is None

    def _moved(self, version: int) -> None:
        replay = self.replay
        if replay is None:
            return
        if replay.version != version:  # another frame: every poller reads it
            self.poller.request()
            for poller in list(self.pollers):
                poller.request()
        self.replay_shown()

    def replay_tick(self) -> None:
        """The play timer (twice a second in a replay)."""
        replay = self.replay
        if replay is not None and replay.speed:
            version = replay.version
            replay.advance()
            self._moved(version)

    # Keys --------------------------------------------------------------------------------
    def action_replay_step(self, count: int) -> None:
        """One recorded sample back or forward."""
        self._move(lambda r: r.step(count), "no sample before" if count < 0 else "no sample after")

    def action_replay_jump(self, seconds: float) -> None:
        """Jump back or forward by minutes (held inside the recording)."""
        self._move(lambda r: r.jump(seconds), "the recording ends there")

    def action_replay_event(self, direction: int) -> None:
        """The previous or next state change, alert or action."""

        def go(r: Replay) -> bool:
            found = r.next_event() if direction > 0 else r.prev_event()
            return found is not None

        self._move(go, "no later event" if direction > 0 else "no earlier event")

    def action_replay_play(self) -> None:
        """Play at 1x, 10x, 60x, then pause."""
        replay = self.replay
        if replay is not None:
            replay.next_speed()
            self.replay_shown()

    def action_replay_seek(self) -> None:
        """Ask for a time and go there."""
        self.push_screen(SeekModal(), self._seek)

    def _seek(self, text: str | None) -> None:
        replay = self.replay
        if replay is None or not text:
            return
        from arctui.record.replay import ReplayError
        from arctui.record.when import WhenError

        version = replay.version
        try:
            replay.seek(text)
        except (WhenError, ReplayError) as exc:
            self.notify(str(exc), title="replay: seek", severity="error", markup=False)
            return
        self._moved(version)

    def _move(self, move: Any, nothing: str) -> None:
        replay = self.replay
        if replay is None:
            return
        version = replay.version
        if not move(replay):
            self.notify(nothing, title="replay", timeout=2, markup=False)
        self._moved(version)
