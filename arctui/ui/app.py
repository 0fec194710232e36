"""The arctui Textual application: header, problem banner, six tabs, footer."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, TabbedContent, TabPane

from arctui.ops.envinfo import env_warnings
from arctui.session import Session
from arctui.ui.actions import ActionsApp, ReadOnlyBadge
from arctui.ui.polling import EngineEventSeen, StackFailed, StackPoller, StackUpdated
from arctui.ui.tabs.not_built import NotBuiltTab
from arctui.ui.tabs.resources import ResourcesTab
from arctui.ui.tabs.services import ServicesTab
from arctui.ui.theming import APP_VARIABLES, ThemeFileError, load_keymap, load_themes
from arctui.ui.widgets.banner import ProblemBanner
from arctui.ui.widgets.header import ArcHeader

TABS = ("services", "resources", "postgres", "redis", "logs", "backups")
_PLANS = {
    "postgres": "Connections, activity with cancel/terminate, blocking tree, slow queries "
    "from pg_stat_statements, table sizes, vacuum state.",
    "redis": "Memory, clients, keyspace, persistence (RDB/AOF) state, slow log, big keys.",
    "logs": "Merged, filterable logs across services, follow mode, search with context.",
    "backups": "Postgres and Redis backups with RPO status, verification and guided restore.",
}


class ArcApp(ActionsApp):
    """Operate an A.R.C. compose stack."""

    TITLE = "arctui"
    CSS_PATH = "app.tcss"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("r", "refresh", "Refresh", id="app.refresh"),
        Binding("e", "show_env", "Env", id="app.env"),
        Binding("right_square_bracket", "next_tab", "Next tab", show=False, id="app.next_tab"),
        Binding("left_square_bracket", "prev_tab", "Prev tab", show=False, id="app.prev_tab"),
        *(
            Binding(str(i), f"show_tab('{name}')", name.title(), show=False, id=f"app.tab.{name}")
            for i, name in enumerate(TABS, start=1)
        ),
    ]

    def __init__(self, session: Session, theme: str | None = None, keymap: str | None = None):
        super().__init__()
        self.session = session
        self._theme_name = theme or session.settings.theme
        self._keymap_name = keymap or session.settings.keymap
        # Missing env files and leftover CHANGE_ME placeholders: shown with every snapshot.
        layers, spec = session.env_layers, session.spec
        base = spec.project_dir if spec else None
        self.env_notes = env_warnings(layers, base) if layers else []
        self.poller = StackPoller(
            self, session.reader, interval=max(10.0, session.settings.refresh * 5)
        )

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(APP_VARIABLES)

    def compose(self) -> ComposeResult:
        s = self.session
        yield ArcHeader(
            env=s.env,
            production=s.production,
            project=s.project,
            endpoint=s.reader.containers.endpoint,
            read_only=s.read_only,
            clock=s.clock,
        )
        banner = ProblemBanner(id="banner")
        banner.display = False
        yield banner
        with TabbedContent(id="tabs", initial="services"):
            with TabPane("1 Services", id="services"):
                yield ServicesTab(clock=s.clock, id="services-tab")
            for i, name in enumerate(TABS[1:], start=2):
                with TabPane(f"{i} {name.title()}", id=name):
                    if name == "resources":
                        yield ResourcesTab(s.resources, clock=s.clock, id="resources-tab")
                    else:
                        yield NotBuiltTab(name.title(), _PLANS[name])
        yield Footer()
        if s.read_only:
            yield ReadOnlyBadge("READ-ONLY")

    def on_mount(self) -> None:
        self._apply_theme()
        self._apply_keymap()
        if self.session.production:
            self.screen.add_class("production")
        self.sub_title = self.session.project
        self.set_interval(1.0, self._tick)
        self.poller.request()
        self.poller.start_events()

    def _apply_theme(self) -> None:
        themes, errors = load_themes()
        for theme in themes:
            self.register_theme(theme)
        for error in errors:
            # File paths and YAML errors are outside text: never markup.
            self.notify(
                f"theme file ignored: {error}", severity="warning", timeout=10, markup=False
            )
        names = {t.name for t in themes} | set(self.available_themes)
        if self._theme_name not in names:
            self.notify(
                f"no theme called {self._theme_name!r}; using arc-dark",
                severity="warning",
                markup=False,
            )
            self._theme_name = "arc-dark"
        self.theme = self._theme_name

    def _apply_keymap(self) -> None:
        try:
            keymap = load_keymap(self._keymap_name)
        except ThemeFileError as exc:
            self.notify(f"keymap not loaded: {exc}", severity="warning", timeout=10, markup=False)
            return
        if keymap:
            self.set_keymap(keymap)

    def _tick(self) -> None:
        for header in self.query(ArcHeader):  # none once the app is shutting down
            header.tick()
        self.poller.tick()

    def on_unmount(self) -> None:
        self.poller.stop()

    # Stack data -----------------------------------------------------------------
    def on_stack_updated(self, message: StackUpdated) -> None:
        self.poller.finished(ok=True)
        if not self.query(ArcHeader):
            return  # a read that finished while the app shuts down
        snapshot = message.snapshot
        header = self.query_one(ArcHeader)
        header.stale_reason = ""
        header.snapshot = snapshot
        banner = self.query_one(ProblemBanner)
        notes = list(self.env_notes)
        if snapshot.compose_error:
            notes.insert(
                0,
                f"{snapshot.compose_error} - showing only what the engine runs; "
                "declared services that are not created are missing.",
            )
        if notes:
            banner.set_class(True, "note")
            banner.show_note("\n".join(notes) + "  (e: env view)")
        else:
            banner.clear()
        self.query_one(ServicesTab).show_snapshot(snapshot)

    def on_stack_failed(self, message: StackFailed) -> None:
        retry_in = self.poller.finished(ok=False)
        if not self.query(ArcHeader):
            return  # a read that finished while the app shuts down
        banner = self.query_one(ProblemBanner)
        banner.set_class(False, "note")
        has_data = self.query_one(ServicesTab).snapshot is not None
        banner.show_failure(message.failure, retry_in, has_data, tuple(self.env_notes))
        self.query_one(ArcHeader).stale_reason = message.failure.reason

    def on_engine_event_seen(self, message: EngineEventSeen) -> None:
        self.poller.request()

    # Actions --------------------------------------------------------------------
    def action_refresh(self) -> None:
        """Read the stack now (and re-render the compose config)."""
        self.poller.request(force_compose=True)

    def action_show_env(self) -> None:
        """Show the layered env files with provenance (secrets masked)."""
        from arctui.ui.screens.env import EnvScreen

        spec = self.session.spec
        base = spec.project_dir if spec else None
        self.push_screen(EnvScreen(self.session.env_layers, base, self.session.env))

    def action_show_tab(self, name: str) -> None:
        """Switch to a tab by id."""
        self.query_one(TabbedContent).active = name

    def _cycle(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        i = TABS.index(tabs.active) if tabs.active in TABS else 0
        tabs.active = TABS[(i + step) % len(TABS)]

    def action_next_tab(self) -> None:
        """Next tab."""
        self._cycle(1)

    def action_prev_tab(self) -> None:
        """Previous tab."""
        self._cycle(-1)
