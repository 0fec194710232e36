"""A checkout shaped like the real platform (issue 8): discovery, production files,
compose failures, ports, undeclared containers, declared details, env files.

`docker compose config` is real here (it needs the CLI, not the engine); the engine's
side (a running container, the missing `arc_net`) is in
tests/integration/test_platform_live.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path

import pytest

from arctui import cli
from arctui.config.project import resolve_project
from arctui.models import (
    ComposeModel,
    ContainerInfo,
    DeclaredService,
    PortBinding,
    ServiceView,
)
from arctui.ops.envinfo import compose_reads, env_rows, env_warnings
from arctui.sources.base import SourceError
from arctui.sources.compose import ComposeCli, split_output
from arctui.stack.model import build_services, port_labels
from arctui.stack.report import status_rows
from arctui.tabs.services.view.presenters import ports_text, service_detail
from tests.platform_fixture import COMPOSE_DIR, SERVICES, checkout, compose_files

needs_compose = pytest.mark.skipif(shutil.which("docker") is None, reason="docker CLI missing")
NOW = 1_700_000_000.0


def _environ(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no COMPOSE_FILE or ENV_FILE leaking in from the shell."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), **extra}


def _compose(spec_args: list[str], root: Path, environ: dict[str, str]) -> ComposeCli:
    return ComposeCli(spec_args, cwd=root, env=environ)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return checkout(tmp_path / "arc-platform-checkout")


# --- 1. production: the Makefile's files; a broken set says which file -------------------


def test_prod_uses_the_makefiles_five_files_not_the_overlay(root: Path, tmp_path: Path) -> None:
    (root / ".env.prod").write_text((root / ".env").read_text())
    for how in ({"env": "prod"}, {"environ_extra": {"ENV_FILE": ".env.prod"}}):
        environ = _environ(tmp_path, **how.get("environ_extra", {}))  # type: ignore[arg-type]
        spec, _ = resolve_project(root, env=how.get("env"), environ=environ)  # type: ignore[arg-type]
        assert spec.production is True
        assert list(spec.compose_files) == compose_files(root)
        assert spec.project_name == "arc-platform"  # the Makefile's -p
        assert any("docker-compose.production.yml is not used" in n for n in spec.notes)


def test_overlay_named_in_compose_file_is_used(root: Path, tmp_path: Path) -> None:
    files = ":".join(str(p.relative_to(root)) for p in compose_files(root, production=True))
    spec, _ = resolve_project(root, environ=_environ(tmp_path, COMPOSE_FILE=files))
    assert list(spec.compose_files) == compose_files(root, production=True)


@needs_compose
def test_a_set_broken_by_the_overlay_names_it_and_shows_the_other_files(
    root: Path, tmp_path: Path
) -> None:
    files = [str(p) for p in compose_files(root, production=True)]
    spec, _ = resolve_project(root, files=files, environ=_environ(tmp_path))
    model = _compose(spec.compose_args(), root, _environ(tmp_path)).model()
    assert model.broken_file is not None
    assert Path(model.broken_file).name == "docker-compose.production.yml"
    assert model.problem is not None
    assert model.problem.startswith("docker-compose.production.yml breaks the file set: ")
    # compose names one of the overlay's two image-less services (its map order varies)
    assert re.search(r'service "arc-(oracle|sonic)" has neither an image', model.problem)
    # Every service the other files declare is still there (15, as without the overlay).
    assert sorted(s.name for s in model.services) == sorted(SERVICES)
    assert model.interpolated is True


# --- 2. the error comes first, with the count of warnings --------------------------------


def test_error_line_first_then_the_count_of_warnings() -> None:
    warnings = "".join(
        f'time="2026-01-01T00:00:00Z" level=warning msg="The \\"v{i}\\" variable is not set.'
        ' Defaulting to a blank string."\n'
        for i in range(60)
    )
    out = split_output(warnings * 2 + 'service "arc-oracle" has neither an image\n')
    assert out.error == 'service "arc-oracle" has neither an image'
    assert len(out.warnings) == 60  # distinct, in order
    summary = out.summary()
    assert summary.startswith('service "arc-oracle" has neither an image (60 warnings before it')
    assert 'The "v0" variable is not set' in summary
    assert len(summary) < 400  # the error is never cut away by the warnings


def test_total_failure_reason_starts_with_the_error(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "docker"
    lines = "".join(
        f"echo 'WARN[0000] The \"apr{i}\" variable is not set.' >&2\n" for i in range(80)
    )
    exe.write_text("#!/bin/sh\n" + lines + "echo 'yaml: line 3: mapping values' >&2\nexit 1\n")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    cli_ = ComposeCli(["-p", "x", "-f", "a.yml"], cwd=tmp_path, env={"PATH": str(bin_dir)})
    with pytest.raises(SourceError) as info:
        cli_.model()
    reason = info.value.reason
    assert reason.startswith("compose config does not render: yaml: line 3: mapping values")
    assert "(80 warnings before it" in reason


@needs_compose
def test_htpasswd_dollars_warn_but_the_model_renders(root: Path, tmp_path: Path) -> None:
    spec, _ = resolve_project(root, environ=_environ(tmp_path))
    model = _compose(spec.compose_args(), root, _environ(tmp_path)).model()
    assert model.problem is None
    assert any('"apr1" variable is not set' in w for w in model.warnings)
    assert len(model.services) == 15


# --- 3. started inside deployments/docker -------------------------------------------------


def test_resolves_from_deployments_docker(root: Path, tmp_path: Path) -> None:
    for start in (root / COMPOSE_DIR, root / COMPOSE_DIR / "config" / "livekit"):
        spec, layers = resolve_project(start, environ=_environ(tmp_path))
        assert spec.project_dir == root
        assert list(spec.compose_files) == compose_files(root)
        assert layers.files == (root / ".env",)
        assert any("project root" in n for n in spec.notes)


def test_cli_env_works_from_deployments_docker(
    root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(root / COMPOSE_DIR)
    for key in ("COMPOSE_FILE", "ENV_FILE", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(key, raising=False)
    assert cli.main(["env", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert any(v["key"] == "POSTGRES_USER" for v in out["values"])


# --- 5. ports: what is bound, declared ones marked, ranges as ranges ------------------------


def _ctr(name: str, **kw: object) -> ContainerInfo:
    base: dict[str, object] = {
        "id": "c" * 64,
        "name": name,
        "project": "arc-platform",
        "service": name,
        "image": "busybox",
        "state": "running",
    }
    base.update(kw)
    return ContainerInfo(**base)  # type: ignore[arg-type]


@needs_compose
def test_ports_host_network_and_ranges(root: Path, tmp_path: Path) -> None:
    spec, _ = resolve_project(root, environ=_environ(tmp_path))
    model = _compose(spec.compose_args(), root, _environ(tmp_path)).model()
    viz, voice = model.service("arc-friday-viz"), model.service("arc-daredevil-voice")
    assert viz is not None and voice is not None
    # Running on the host network: the engine binds nothing; the compose `3000` is not shown.
    running = ServiceView("arc-friday-viz", "grafana", (_ctr(viz.name, network_mode="host"),), viz)
    assert ports_text(running) == "host net"
    # Not created: declared ports, marked, the 101-port range folded.
    text = ports_text(ServiceView(voice.name, "livekit", (), voice))
    assert text == "decl 7880 7881 50000-50100/udp"
    assert port_labels(voice.ports) == ["7880", "7881", "50000-50100/udp"]
    # status --json agrees
    row = status_rows_for(model, voice.name)
    assert row["ports"] == {
        "bound": None,
        "declared": ["7880", "7881", "50000-50100/udp"],
        "network_mode": "",
    }


def status_rows_for(model: ComposeModel, name: str) -> dict:
    from arctui.models import StackSnapshot

    snap = StackSnapshot("arc-platform", build_services([], model), NOW, "unix://")
    return next(r for r in status_rows(snap) if r["service"] == name)


def test_long_port_lists_end_with_a_count() -> None:
    numbers = (80, 443, 4317, 5000, 6000, 7000, 8000, 9000, 10000, 11000)
    ports = tuple(PortBinding(p, host_port=p) for p in numbers)
    text = ports_text(ServiceView("s", "x", (_ctr("s", ports=ports),)))
    shown, more = text.rsplit(" +", 1)
    assert shown.split() == [str(n) for n in numbers[: len(shown.split())]]
    assert int(more) == len(numbers) - len(shown.split())
    assert len(text) <= 32


def test_bound_ports_replace_declared_ones_for_a_running_container() -> None:
    declared = DeclaredService("s", ports=(PortBinding(3000, host_port=3000),))
    bound = (PortBinding(3000, "tcp", "127.0.0.1", 13000),)
    svc = ServiceView("s", "grafana", (_ctr("s", ports=bound),), declared)
    assert ports_text(svc) == "127.0.0.1:13000->3000"


# --- 6. containers compose does not declare; a stack from another checkout ---------------


def test_undeclared_and_foreign_containers_are_marked(root: Path) -> None:
    ours = [str(p) for p in compose_files(root)]
    model = ComposeModel("arc-platform", (DeclaredService("arc-friday-viz"),), files=tuple(ours))
    other = "/srv/old-checkout/deployments/docker/docker-compose.base.yml"
    label = "com.docker.compose.project.config_files"
    minimal = ",".join(ours[:2])  # `make up-minimal` from this checkout: not foreign
    views = {
        v.name: v
        for v in build_services(
            [
                _ctr("arc-friday-viz", labels={label: other}),
                _ctr("arc-stray", labels={label: minimal}),
            ],
            model,
        )
    }
    assert views["arc-friday-viz"].undeclared is False
    assert views["arc-friday-viz"].foreign_config == other
    assert views["arc-stray"].undeclared is True
    assert views["arc-stray"].foreign_config == ""
    detail = service_detail(views["arc-stray"], NOW).plain
    assert "no compose file declares this service" in detail
    assert other in service_detail(views["arc-friday-viz"], NOW).plain
    snap_rows = status_rows_for(model, "arc-friday-viz")
    assert snap_rows["declared"] is True
    # Without a compose model nothing can be called undeclared.
    assert build_services([_ctr("arc-stray")], None)[0].undeclared is False


# --- 7. the detail pane of a service that was never created ------------------------------


@needs_compose
def test_detail_of_not_created_services_shows_the_declaration(root: Path, tmp_path: Path) -> None:
    spec, _ = resolve_project(root, environ=_environ(tmp_path))
    model = _compose(spec.compose_args(), root, _environ(tmp_path)).model()
    views = {v.name: v for v in build_services([], model)}
    voice = service_detail(views["arc-daredevil-voice"], NOW).plain
    livekit_yaml = str(root / COMPOSE_DIR / "config" / "livekit" / "livekit.yaml")
    assert f"bind   {livekit_yaml} -> /etc/livekit.yaml (ro)  (declared)" in voice
    assert "declared: wget -qO- http://localhost:7880/metrics" in voice
    assert "every 15s" in voice
    assert "arc_net (external)  aliases: livekit" in voice
    raymond = service_detail(views["arc-raymond-services"], NOW).plain
    assert "arc-oracle-sql  service_healthy" in raymond
    assert "arc-flash-pulse  service_started" in raymond
    pg = service_detail(views["arc-oracle-sql"], NOW).plain
    assert "aliases: postgres, arc-postgres, arc_postgres, arc-oracle" in pg
    assert "volume arc_postgres_data -> /var/lib/postgresql/data  (declared)" in pg
    viz = status_rows_for(model, "arc-friday-viz")
    assert viz["dependencies"] == [
        {"service": "arc-house-metrics", "condition": "service_started", "required": False},
        {"service": "arc-watson-logs", "condition": "service_healthy", "required": False},
    ]


def test_missing_external_network_is_said_in_the_detail() -> None:
    from arctui.models import NetworkAttachment

    decl = DeclaredService(
        "arc-oracle-sql",
        networks=(NetworkAttachment("arc_net", "arc_net", ("postgres",), True, True),),
    )
    text = service_detail(ServiceView("arc-oracle-sql", "postgres", (), decl), NOW).plain
    assert "network arc_net does not exist on the engine: `up` will fail" in text


# --- 8. per-service env files compose never reads -----------------------------------------


def test_per_service_copies_are_marked_unused(root: Path, tmp_path: Path) -> None:
    _, layers = resolve_project(root, environ=_environ(tmp_path))
    assert set(layers.unused_scopes()) == set(layers.per_service)
    rows = env_rows(layers, root)
    service_rows = [r for r in rows if r.scope != "project"]
    assert {r.scope for r in service_rows} == {
        "core/caching/redis",
        "core/telemetry/otel-collector",
    }
    assert not any(r.used for r in service_rows)
    assert all(r.used for r in rows if r.scope == "project")
    assert compose_reads(layers, root) == ["--env-file .env"]
    assert any(
        w.startswith("2 per-service env files that no compose file reads")
        for w in env_warnings(layers, root)
    )


def test_a_file_named_in_env_file_is_scoped_to_its_service(root: Path, tmp_path: Path) -> None:
    core = root / COMPOSE_DIR / "docker-compose.core.yml"
    text = core.read_text().replace(
        "    container_name: arc-sonic-cache\n",
        "    container_name: arc-sonic-cache\n    env_file: ../../core/caching/redis/.env\n",
    )
    core.write_text(text)
    _, layers = resolve_project(root, environ=_environ(tmp_path))
    rows = env_rows(layers, root)
    redis = [r for r in rows if r.key == "REDIS_MAXMEMORY"]
    assert [(r.scope, r.used) for r in redis] == [("arc-sonic-cache", True)]
    assert "env_file core/caching/redis/.env (arc-sonic-cache)" in compose_reads(layers, root)
    otel = [r for r in rows if r.key == "OTEL_LOG_LEVEL"]
    assert [(r.scope, r.used) for r in otel] == [("core/telemetry/otel-collector", False)]


def test_cli_env_columns_are_aligned(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(root)
    for key in ("COMPOSE_FILE", "ENV_FILE", "COMPOSE_PROJECT_NAME"):
        monkeypatch.delenv(key, raising=False)
    assert cli.main(["env"]) == 0
    lines = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith("#")]
    header = lines[0]
    assert header.split() == ["SCOPE", "KEY", "VALUE", "FROM"]
    columns = [header.index(h) for h in ("KEY", "FROM")]  # values may be empty
    for line in lines[1:]:
        for col in columns:
            assert line[col - 2 : col] == "  " and line[col] != " ", line
    unused = [ln for ln in lines if ln.startswith("core/caching/redis")]
    assert unused and all("(unused" in ln for ln in unused)


# --- 10. missing env files are said everywhere; what compose declares still shows --------


def test_status_says_a_missing_env_file(
    root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    monkeypatch.chdir(root)
    monkeypatch.setenv("ENV_FILE", ".env.staging")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{root}/no-engine.sock")  # no engine needed
    monkeypatch.delenv("COMPOSE_FILE", raising=False)
    cli.main(["status"])
    assert "expected env file not found: .env.staging" in capsys.readouterr().err


@needs_compose
def test_without_env_every_declared_service_still_shows(tmp_path: Path) -> None:
    root = checkout(tmp_path / "fresh", env=False)
    spec, layers = resolve_project(root, environ=_environ(tmp_path))
    assert any(
        w.startswith("expected env file not found: .env (copy .env.example)")
        for w in env_warnings(layers, root)
    )
    model = _compose(spec.compose_args(), root, _environ(tmp_path)).model()
    assert len(model.services) == 15
    assert model.interpolated is False
    assert model.problem is not None
    assert "POSTGRES_PASSWORD" in model.problem
    assert "uninterpolated" in model.problem
    # The file is named from the service in compose's error, without extra renders.
    assert model.broken_file is not None
    assert Path(model.broken_file).name == "docker-compose.core.yml"


@needs_compose
def test_compose_text_goes_through_the_session_redactor(root: Path, tmp_path: Path) -> None:
    from arctui.config.masking import Redactor

    secret = "hunter2-very-secret"
    core = root / COMPOSE_DIR / "docker-compose.core.yml"
    core.write_text(
        core.read_text().replace(
            '"pg_isready -U arc -d arc_db"', f'"pg_isready -U arc -d arc_db --pw {secret}"'
        )
        + f"  broken:\n    image: x\n    ports: ['{secret}:1']\n"
    )
    spec, _ = resolve_project(root, environ=_environ(tmp_path))
    redactor = Redactor([secret])
    compose = ComposeCli(spec.compose_args(), cwd=root, env=_environ(tmp_path), redact=redactor)
    try:
        model = compose.model()
        texts = [model.problem or "", *model.warnings]
        texts += [s.healthcheck.command() for s in model.services if s.healthcheck]
    except SourceError as exc:
        texts = [exc.reason]
    assert texts and not any(secret in t for t in texts)


def test_session_reader_reports_a_partial_compose_render() -> None:
    from arctui.stack.reader import StackReader

    class Engine:
        endpoint = "unix:///fake.sock"

        def containers(self, project: str) -> list[ContainerInfo]:
            return []

    class Compose:
        def model(self) -> ComposeModel:
            return ComposeModel(
                "p", (DeclaredService("a"),), problem="x.yml breaks the file set: boom"
            )

    reader = StackReader("p", Engine(), Compose())  # type: ignore[arg-type]
    snap = reader.read()
    assert snap.compose_error == "x.yml breaks the file set: boom"
    assert snap.compose_partial is True
    assert [s.name for s in snap.services] == ["a"]  # nothing went missing
