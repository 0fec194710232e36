"""Usage sources are built when first used, not when the session is (first frame cost)."""

from __future__ import annotations

import subprocess
import sys
import threading

from arctui.session import LazySource


def test_lazy_source_builds_once_on_first_use_from_any_thread() -> None:
    built: list[int] = []

    class Source:
        def read(self) -> str:
            return "snapshot"

    def build() -> Source:
        built.append(1)
        return Source()

    lazy = LazySource(build)
    assert built == []
    threads = [threading.Thread(target=lazy.read) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lazy.read() == "snapshot" and built == [1]


def test_sessions_leave_the_resources_modules_unimported() -> None:
    code = (
        "import sys\n"
        "from arctui.session import demo_session\n"
        "s = demo_session()\n"
        "before = 'arctui.tabs.resources.models' in sys.modules\n"
        "s.resources.read()\n"
        "print(before, 'arctui.tabs.resources.models' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["False", "True"]


def test_the_registry_names_each_tab_source_the_session_carries() -> None:
    from arctui.tabs import TABS, tab
    from arctui.tabs.resources.source import session_source

    assert tab("resources").load_source() is session_source
    assert all(callable(spec.load_source()) for spec in TABS if spec.source)


def test_a_real_sessions_usage_reader_shares_its_engine_client_and_event_hub() -> None:
    from arctui.config.settings import Settings
    from arctui.session import Session, with_tab_sources
    from arctui.sources.engine import EngineClient
    from arctui.stack.reader import StackReader

    class NoContainers:
        def containers(self, project: str) -> list[object]:
            return []

    client = EngineClient({"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    session = with_tab_sources(
        Session(
            env="dev",
            production=False,
            project="p",
            settings=Settings(),
            reader=StackReader("p", NoContainers(), None),  # type: ignore[arg-type]
            read_only=True,
            environ={"ARCTUI_STATS_SOURCE": "api"},
            engine=client,
        )
    )
    reader = session.resources
    assert reader.engine.engine is client  # no second client
    assert reader.events.hub is session.events  # no second subscription
    # ARCTUI_STATS_SOURCE=api, read from the session's environ: cgroups are never probed
    assert reader._cgroups_probe is None and reader.cgroups is None
