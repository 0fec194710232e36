"""The arctui Textual application: header, problem banner, the registry's tabs, footer.

The app owns the stack snapshot (one reader shared by every tab, refreshed by engine
events and a slow reconcile poll) and ticks every tab's poller with its visibility.
Tabs are built from `arctui.tabs.TABS`, never by name.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import PurePath
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import var
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane

from arctui.models import StackSnapshot
from arctui.session import Session
from arctui.sources.base import EngineEvent
from arctui.sources.event_hub import Subscription
from arctui.tabs import TABS
from arctui.ui import preferences
from arctui.ui.actions import ActionsApp, ReadOnlyBadge
from arctui.ui.fleet_app import FLEET_PREFIX, FleetApp
from arctui.ui.palette_base import open_palette
from arctui.ui.palette_commands import TabCommands
from arctui.ui.polling import Poller, SourceFailed, SourceUpdated
from arctui.ui.shell import Shell
from arctui.ui.theming import APP_VARIABLES, keymap_names, load_themes
from arctui.ui.widgets.banner import ProblemBanner
from arctui.ui.widgets.busy import show_busy
from arctui.ui.widgets.header import ArcHeader

if TYPE_CHECKING:
    from arctui.ops.health.monitor import EventHistory

TAB_IDS = tuple(spec.id for spec in TABS)
STACK_SOURCE = "docker"


class EngineEventSeen(Message):
    """The event stream saw a state change (or ended: event None); a read is due."""

    def __init__(self, event: EngineEvent | None) -> None:
        super().__init__()
        self.event = event


def _css_paths() -> list[str | PurePath]:
    paths: list[str | PurePath] = ["app.tcss"]
    paths += [p for spec in TABS if (p := spec.css_path()) is not None]
    return paths


class ArcApp(FleetApp):
    """Operate an A.R.C. compose stack (or replay a recorded moment of it: ui/replay.py)."""

    TITLE = "arctui"
    CSS_PATH: ClassVar = _css_paths()
    ENABLE_COMMAND_PALETTE = True
    # Short terminals give the problem banner fewer rows (app.tcss): the table comes first.
    VERTICAL_BREAKPOINTS = [
        (0, "-short"),
        (30, "-medium"),
        (40, "-tall"),
    ]
    COMMANDS = ActionsApp.COMMANDS | {TabCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
        Binding("colon", "open_palette", "Palette", show=False, key_display=":", id="app.palette"),
        Binding("r", "refresh", "Refresh", show=False, id="app.refresh"),
        Binding("e", "show_env", "Env", show=False, id="app.env"),
        Binding("H", "health", "Health", show=False, key_display="H", id="app.health"),
        Binding("T", "doctor", "Wizards", show=False, key_display="T", id="app.doctor"),
        Binding("I", "diagnostics", "Diagnostics", show=False, id="app.diagnostics"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="app.next_tab"),
        Binding("left_square_bracket", "prev_tab", "Prev tab", show=False, id="app.prev_tab"),
        *(
            Binding(
                str(i), f"show_tab('{spec.id}')", spec.title, show=False, id=f"app.tab.{spec.id}"
            )
            for i, spec in enumerate(TABS, start=1)
        ),
    ]

    # The stack as last read: every tab that needs it watches this.
    # A var, not a reactive: a reactive on the app repaints the whole screen when set,
    # and it is set after every stack read. The tabs that watch it redraw what changed.
    snapshot: var[StackSnapshot | None] = var(None, always_update=True)

    def __init__(self, session: Session, theme: str | None = None, keymap: str | None = None):
        super().__init__()
        self.session = session
        self._theme_name = preferences.initial_theme(theme, session.settings.theme)
        self._keymap_name = keymap or session.settings.keymap
        self.keymap_name = "default"  # the keymap in force (help screen, palette)
        self.pending_keymap_check: dict[str, str] | None = None
        self.arc_theme_names: list[str] = []
        # Missing env files and leftover CHANGE_ME placeholders: shown with every snapshot.
        layers, spec = session.env_layers, session.spec
        base = spec.project_dir if spec else None
        self.env_notes = list(spec.notes if spec else ())
        if layers:  # a real project (the demo reads no env files)
            from arctui.ops.envinfo import env_warnings

            self.env_notes[:0] = env_warnings(layers, base)
        self.selected_service: str | None = None  # set by the Services tab
        self.health_history: EventHistory | None = None  # made on first use (health.py)
        # When the operator last pressed a key: busy worker threads (the Logs tab's line
        # maker in a flood) step back briefly so the answer reaches the screen first.
        self.last_key_at = 0.0
        self.pollers: list[Poller] = []
        reconcile = max(10.0, session.settings.refresh * 5)
        session.reader.reconcile_every = reconcile
        self._force_compose = False
        # Engine events ask for a read: at most two a second, whatever the storm.
        self.poller = Poller(
            self, STACK_SOURCE, self._read_stack, reconcile, reconcile, min_gap=0.5
        )
        # Swallowed errors get a reason in the state dir's log file (never the terminal).
        from arctui.sources import diag_log

        self.log_path = diag_log.install(session.redactor.redact)
        self._events_sub: Subscription | None = None
        # Kept, not queried: the timers ask for them every second (a query walks the DOM).
        s = session
        self._header = ArcHeader(
            env=s.env,
            production=s.production,
            project=s.project,
            read_only=s.read_only,
            clock=s.clock,
            session=s,
        )
        self._banner = ProblemBanner(id="banner")
        self._tabs = TabbedContent(id="tabs", initial=TAB_IDS[0])

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            self.last_key_at = time.monotonic()
        await super().on_event(event)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        s = self.session
        replay = s.replay is not None
        yield self._header
        if replay:
            yield from self.replay_compose()
        self._banner.display = False
        yield self._banner
        with self._tabs:
            for i, spec in enumerate(TABS, start=1):
                with TabPane(f"{i} {spec.title}", id=spec.id):
                    if replay:  # "nothing recorded for this tab at this moment"
                        yield self.replay_notice(spec.id)
                    # Only the first tab is built before the first frame; the others
                    # (and their imports: psycopg, redis-py ...) when first shown.
                    if i == 1:
                        yield spec.load_view(replay)(s, id=f"{spec.id}-tab")
        yield self.replay_footer()  # a replay's leaves out the keys it refuses
        if s.read_only:
            yield ReadOnlyBadge("READ-ONLY")

    def on_load(self) -> None:
        # Theme and keymap before the first compose: set after it, they restyled every
        # widget (the footer's keys most) during the first seconds.
        self._apply_theme()
        self._apply_keymap()

    def on_mount(self) -> None:
        if self.session.production:
            self.screen.add_class("production")
        self.sub_title = self.session.project
        self.set_interval(1.0, self._tick_header)
        self.set_interval(0.5, self._tick_pollers)
        self.poller.start()
        self.poller.request()
        if self.replay is not None:  # no engine events, no live monitoring: the recording
            self.set_interval(0.5, self.replay_tick)
            self.call_after_refresh(self.replay_shown)
        if self.pending_keymap_check:  # off the first frame: imports every tab's view
            self.run_worker(
                lambda: preferences.check_keymap_later(self),
                thread=True,
                exit_on_error=False,
                group="keymap",
            )
        if self.replay is not None:
            return
        # The session's one event subscription (sources/event_hub.py): state events name
        # the containers to re-read; None (stream cut, events lost) asks for a full read.
        self._events_sub = self.session.events.subscribe(self._engine_event, "app")
        self.fleet_start(self.poller.schedule.interval)  # the other engines (fleet_app.py)
        self.call_after_refresh(self._start_monitoring)  # its imports: off the first frame

    def _start_monitoring(self) -> None:
        from arctui.ui.screens.health import start_monitoring

        start_monitoring(self)  # state changes -> notifications and the event history

    def on_unmount(self) -> None:
        if self._events_sub is not None:
            self._events_sub.close()
        self.fleet_stop()
        for poller in list(self.pollers):
            poller.stop()
        self.session.close()

    # Themes and keys --------------------------------------------------------------
    def _apply_theme(self) -> None:
        themes, errors = load_themes()
        for theme in themes:
            self.register_theme(theme, validated=True)  # load_themes checked each file
        self.arc_theme_names = [t.name for t in themes if t.name in self.available_themes]
        names = {t.name for t in themes} | set(self.available_themes)
        missing = self._theme_name not in names
        for error in errors:
            # The chosen theme's own file broken: one message says both things.
            chosen = missing and PurePath(error.partition(": ")[0]).stem == self._theme_name
            fallback = "; using arc-dark" if chosen else ""
            missing = missing and not chosen
            # File paths and YAML errors are outside text: never markup.
            self.notify(
                f"theme file ignored: {error}{fallback}",
                severity="warning",
                timeout=10,
                markup=False,
            )
        if self._theme_name not in names:
            if missing:
                self.notify(
                    f"no theme called {self._theme_name!r}; using arc-dark",
                    severity="warning",
                    markup=False,
                )
            self._theme_name = "arc-dark"
        self.theme = self._theme_name

    def _apply_keymap(self) -> None:
        preferences.apply_keymap(self, self._keymap_name)

    def active_keymap(self) -> Mapping[str, str]:
        """Binding id -> keys of the keymap in force (the help screen shows them)."""
        return dict(self._keymap)

    def keymap_names(self) -> list[str]:
        """Every keymap that can be switched to (the palette's "Keymap: NAME")."""
        return keymap_names()

    def switch_keymap(self, name: str) -> None:
        """Use another keymap for this run."""
        preferences.switch_keymap(self, name)

    def action_help(self) -> None:
        """The keys of the tab on screen, from the active keymap."""
        preferences.open_help(self)

    def action_open_palette(self) -> None:
        """`:` opens the command palette (the k9s habit); ctrl+p still does."""
        self.action_command_palette()

    def action_command_palette(self) -> None:
        """Textual's palette with its races closed (`palette_base.ArcPalette`)."""
        open_palette(self)

    # Pollers ----------------------------------------------------------------------
    def register_poller(self, poller: Poller) -> None:
        """A tab's poller: ticked with its tab's visibility from now on."""
        if poller not in self.pollers:
            self.pollers.append(poller)

    def unregister_poller(self, poller: Poller) -> None:
        """Stop ticking a poller."""
        if poller in self.pollers:
            self.pollers.remove(poller)

    def tab_of(self, widget: Widget | None) -> str | None:
        """The id of the tab a widget sits in (None: the app itself)."""
        node = widget
        while node is not None and node is not self:
            if isinstance(node, TabPane):
                return node.id
            node = node.parent  # type: ignore[assignment]
        return None

    @property
    def active_tab(self) -> str:
        """The id of the tab on screen."""
        return self._tabs.active or TAB_IDS[0]

    def _tick_pollers(self) -> None:
        active = self.active_tab
        for poller in list(self.pollers):
            tab = self.tab_of(poller.host) if isinstance(poller.host, Widget) else None
            poller.tick(tab is None or tab == active)

    def _tick_header(self) -> None:
        if self._header.is_mounted:  # not once the app is shutting down
            self._header.tick()
            show_busy(self)  # a command running for more than a second shows it is alive

    # Stack data -------------------------------------------------------------------
    def _read_stack(self) -> StackSnapshot:
        """Worker thread: the engine events' containers, or a full read when one is due."""
        force, self._force_compose = self._force_compose, False
        return self.session.reader.read_next(force_compose=force)

    def _engine_event(self, event: EngineEvent | None) -> None:
        """The subscription's thread: the reader notes what to re-read; a read is asked."""
        self.session.reader.note_event(event)
        self.post_message(EngineEventSeen(event))

    def on_engine_event_seen(self, message: EngineEventSeen) -> None:
        self.poller.request()

    def on_source_updated(self, message: SourceUpdated) -> None:
        if not self._banner.is_mounted:
            return  # a read that finished while the app shuts down
        if message.source == STACK_SOURCE:
            self._show_stack(message.value)
            if self.session.reader.compose_pending:
                self.poller.request()
        self._show_notes()

    def on_source_failed(self, message: SourceFailed) -> None:
        if not self._banner.is_mounted:
            return  # a read that finished while the app shuts down
        if message.source == STACK_SOURCE:
            self._header.stale_reason = message.failure.reason
        self._show_notes()

    def _show_stack(self, snapshot: StackSnapshot) -> None:
        header = self._header
        if header.stale_reason:  # the engine answers again: resubscribe without backoff
            self.session.events.engine_back()
        header.stale_reason = ""
        header.snapshot = snapshot
        self.snapshot = snapshot

    def _show_notes(self) -> None:
        """The banner: the stack's failure, else a visible source's, else notes."""
        banner = self._banner
        active = self.active_tab
        fleet = self.fleet_notes()  # other engines' failures, Swarm notices: a line each
        for poller in self.pollers:  # the stack's poller registered first
            failure = poller.failure
            if poller.source.startswith(FLEET_PREFIX):
                continue  # said in `fleet`, with the engine's name
            tab = self.tab_of(poller.host) if isinstance(poller.host, Widget) else None
            # In a replay a tab's "failure" is "nothing recorded": its notice says so.
            if failure is not None and tab in (None, active) and not (tab and self.replay):
                banner.set_class(False, "note")
                has_data = poller.last_ok is not None
                retry_in = max(0.0, poller.schedule.next_due - time.monotonic())
                banner.show_failure(failure, retry_in, has_data, (*fleet, *self.env_notes))
                return
        notes = [*fleet, *self.env_notes]
        snapshot = self.snapshot
        if snapshot is not None and snapshot.compose_error:
            if snapshot.compose_partial:  # the other files' services are still listed
                notes.insert(0, snapshot.compose_error)
            else:
                notes.insert(
                    0,
                    f"{snapshot.compose_error} - showing only what the engine runs; "
                    "declared services that are not created are missing.",
                )
        if notes:
            banner.set_class(True, "note")
            env_view = "  (e: env view)" if len(notes) > len(fleet) else ""
            banner.show_note("\n".join(notes) + env_view)
        else:
            banner.clear()

    def current_snapshot(self) -> StackSnapshot | None:
        """The stack snapshot the operator is looking at."""
        return self.snapshot

    # Actions ----------------------------------------------------------------------
    def action_refresh(self) -> None:
        """Read the stack now (a full read, and re-render the compose config)."""
        self._force_compose = True
        self.session.reader.want_full()
        self.poller.request()
        for poller in self.pollers:
            if self.tab_of(poller.host) == self.active_tab:  # type: ignore[arg-type]
                poller.request()

    def action_health(self) -> None:
        """The health view: probes, root causes, the event history (H)."""
        from arctui.ui.screens.health import HealthScreen, history_of

        self.push_screen(HealthScreen(self.session, history_of(self), self.snapshot))

    def action_doctor(self) -> None:
        """The troubleshooting wizards (T)."""
        from arctui.ui.screens.wizard import DoctorScreen

        self.push_screen(DoctorScreen(self.session))

    def action_diagnostics(self) -> None:
        """Write the diagnostics bundle into the working directory (I)."""
        from arctui.ui.screens.wizard import write_diagnostics

        write_diagnostics(self, self.session)

    def action_show_env(self) -> None:
        """Show the layered env files with provenance (secrets masked)."""
        from arctui.ui.screens.env import EnvScreen

        spec = self.session.spec
        base = spec.project_dir if spec else None
        self.push_screen(EnvScreen(self.session.env_layers, base, self.session.env))

    def action_show_tab(self, name: str) -> None:
        """Switch to a tab by id."""
        self._switch_to(name)

    def _switch_to(self, name: str) -> None:
        # Unfocus first: a focused widget of the pane being hidden hands its focus to a
        # sibling in that (now hidden) pane, and TabbedContent then switches back to it
        # (pressing 1 on the Metrics tab sometimes stayed on Metrics). The shown tab
        # focuses its own widget.
        if name != self._tabs.active:
            self.screen.set_focus(None)
        self._tabs.active = name

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane
        if pane.id in TAB_IDS and not pane.query(f"#{pane.id}-tab"):
            spec = TABS[TAB_IDS.index(pane.id)]
            replay = self.replay is not None
            pane.mount(spec.load_view(replay)(self.session, id=f"{spec.id}-tab"))
            self.call_after_refresh(self.replay_shown)  # a replay hides what has no data
        self._show_notes()
        self._tick_pollers()  # a tab just shown reads at once if it is due

    def _cycle(self, step: int) -> None:
        tabs = self._tabs
        i = TAB_IDS.index(tabs.active) if tabs.active in TAB_IDS else 0
        self._switch_to(TAB_IDS[(i + step) % len(TAB_IDS)])

    def action_next_tab(self) -> None:
        """Next tab."""
        self._cycle(1)

    def action_prev_tab(self) -> None:
        """Previous tab."""
        self._cycle(-1)


# mypy proves the app is everything the views ask of it (arctui/ui/shell.py).
_SHELL: type[Shell] = ArcApp
