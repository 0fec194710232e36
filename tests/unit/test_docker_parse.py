"""The Docker engine source: inspect parsing, error explanations, endpoint resolution."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime

import pytest
import requests

from arctui.models import HealthCheckResult, Mount, PortBinding
from arctui.sources.base import SourceError
from arctui.sources.docker_engine import (
    DockerSource,
    container_from_inspect,
    explain,
    listed_state,
    resolve_endpoint,
)
from arctui.sources.engine_http import local_socket


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


INSPECT = {
    "Id": "4f3c2b1a0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b",
    "Created": "2024-05-01T11:59:58.123456789Z",
    "Name": "/arc-oracle-sql",
    "Image": "sha256:0a1b2c3d",
    "RestartCount": 4,
    "State": {
        "Status": "running",
        "Running": True,
        "Paused": False,
        "Restarting": False,
        "OOMKilled": False,
        "Dead": False,
        "Pid": 4242,
        "ExitCode": 0,
        "Error": "",
        "StartedAt": "2024-05-01T12:00:00.123456789Z",
        "FinishedAt": "0001-01-01T00:00:00Z",
        "Health": {
            "Status": "healthy",
            "FailingStreak": 0,
            "Log": [
                {
                    "Start": "2024-05-01T12:00:10.000000001Z",
                    "End": "2024-05-01T12:00:10.250000000Z",
                    "ExitCode": 1,
                    "Output": "/var/run/postgresql:5432 - rejecting connections\n",
                },
                {
                    "Start": "2024-05-01T12:00:20.5Z",
                    "End": "2024-05-01T12:00:20.75Z",
                    "ExitCode": 0,
                    "Output": "/var/run/postgresql:5432 - accepting connections\n",
                },
            ],
        },
    },
    "Mounts": [
        {
            "Type": "volume",
            "Name": "arc_postgres_data",
            "Source": "/var/lib/docker/volumes/arc_postgres_data/_data",
            "Destination": "/var/lib/postgresql/data",
            "Driver": "local",
            "Mode": "z",
            "RW": True,
            "Propagation": "",
        },
        {
            "Type": "bind",
            "Source": "/srv/arc/init",
            "Destination": "/docker-entrypoint-initdb.d",
            "Mode": "ro",
            "RW": False,
            "Propagation": "rprivate",
        },
    ],
    "Config": {
        "Hostname": "4f3c2b1a0e9d",
        "Env": [
            "POSTGRES_USER=arc",
            "POSTGRES_PASSWORD=p=a=s=s",
            "DATABASE_URL=postgres://arc:pw@host:5432/arc_db?sslmode=disable",
            "EMPTY=",
            "NOVALUE",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ],
        "Image": "postgres:16-alpine",
        "Labels": {
            "com.docker.compose.project": "arc-platform",
            "com.docker.compose.service": "postgres",
            "com.docker.compose.container-number": "2",
            "arc.service.tech": "postgresql",
        },
    },
    "NetworkSettings": {
        "Ports": {
            "5432/tcp": [
                {"HostIp": "0.0.0.0", "HostPort": "5432"},
                {"HostIp": "::", "HostPort": "5432"},
            ],
            "9187/tcp": None,
            "53/udp": [{"HostIp": "127.0.0.1", "HostPort": "5353"}],
        }
    },
}


@pytest.fixture
def info():
    return container_from_inspect(INSPECT, "Up 5 minutes (healthy)")


def test_identity_and_compose_labels(info) -> None:
    assert info.id == INSPECT["Id"]
    assert info.short_id == "4f3c2b1a0e9d"
    assert info.name == "arc-oracle-sql"
    assert info.project == "arc-platform"
    assert info.service == "postgres"
    assert info.replica == 2
    assert info.image == "postgres:16-alpine"  # Config.Image, not the sha
    assert info.status == "Up 5 minutes (healthy)"
    assert info.labels["arc.service.tech"] == "postgresql"


def test_state_and_nanosecond_timestamps(info) -> None:
    assert info.state == "running"
    assert info.health == "healthy"
    assert info.started_at == pytest.approx(ts("2024-05-01T12:00:00") + 0.123456789, abs=1e-6)
    assert info.finished_at is None  # Docker's zero time
    assert info.restart_count == 4
    assert info.exit_code is None  # running: no exit code
    assert info.oom_killed is False


def test_health_log(info) -> None:
    assert len(info.health_log) == 2
    first, last = info.health_log
    assert isinstance(first, HealthCheckResult)
    assert first.start == pytest.approx(ts("2024-05-01T12:00:10") + 1e-9, abs=1e-6)
    assert first.end == pytest.approx(ts("2024-05-01T12:00:10.25"), abs=1e-6)
    assert first.exit_code == 1
    assert "rejecting" in first.output
    assert last.start == pytest.approx(ts("2024-05-01T12:00:20.5"), abs=1e-6)
    assert last.exit_code == 0


def test_ports_deduplicated_across_ipv4_and_ipv6(info) -> None:
    # Sorted by the engine's "port/proto" key; 5432 appears once although bound twice.
    assert info.ports == (
        PortBinding(53, "udp", "127.0.0.1", 5353),
        PortBinding(5432, "tcp", "0.0.0.0", 5432),
        PortBinding(9187, "tcp", "", None),
    )


def test_env_split_on_first_equals(info) -> None:
    env = dict(info.env)
    assert env["POSTGRES_PASSWORD"] == "p=a=s=s"
    assert env["DATABASE_URL"] == "postgres://arc:pw@host:5432/arc_db?sslmode=disable"
    assert env["EMPTY"] == ""
    assert env["NOVALUE"] == ""
    assert [k for k, _ in info.env][:2] == ["POSTGRES_USER", "POSTGRES_PASSWORD"]


def test_mounts_sorted_by_destination(info) -> None:
    # The engine's order changes from one inspect to the next; arctui's does not.
    assert info.mounts == (
        Mount("bind", "/srv/arc/init", "/docker-entrypoint-initdb.d", True),
        Mount("volume", "arc_postgres_data", "/var/lib/postgresql/data", False),
    )


def test_oom_killed_exited_container() -> None:
    data = {
        "Id": "abc",
        "Name": "/arc-platform-worker-1",
        "State": {
            "Status": "exited",
            "OOMKilled": True,
            "ExitCode": 137,
            "StartedAt": "2024-05-01T12:00:00Z",
            "FinishedAt": "2024-05-01T12:05:00.5Z",
        },
        "RestartCount": 0,
        "Config": {"Image": "worker:1", "Labels": None, "Env": None},
        "NetworkSettings": {"Ports": {}},
        "Mounts": None,
    }
    c = container_from_inspect(data)
    assert (c.state, c.exit_code, c.oom_killed) == ("exited", 137, True)
    assert c.started_at == ts("2024-05-01T12:00:00")
    assert c.finished_at == pytest.approx(ts("2024-05-01T12:05:00.5"), abs=1e-6)
    assert c.health is None
    assert c.health_log == ()
    assert (c.labels, c.env, c.mounts, c.ports) == ({}, (), (), ())
    assert (c.project, c.service, c.replica) == ("", "", 1)


def test_restarting_and_created_exit_codes() -> None:
    base = {"Id": "x", "Name": "/x", "Config": {}}
    restarting = container_from_inspect({**base, "State": {"Status": "restarting", "ExitCode": 3}})
    created = container_from_inspect({**base, "State": {"Status": "created", "ExitCode": 0}})
    assert restarting.exit_code == 3
    assert created.exit_code is None


def test_minimal_document() -> None:
    c = container_from_inspect({})
    assert (c.id, c.name, c.state, c.started_at) == ("", "", "unknown", None)


def test_garbage_timestamp_is_none() -> None:
    c = container_from_inspect({"State": {"Status": "running", "StartedAt": "yesterday"}})
    assert c.started_at is None


def test_health_log_timestamps_with_utc_offset() -> None:
    data = {
        "State": {
            "Status": "running",
            "Health": {
                "Status": "healthy",
                "Log": [
                    {
                        "Start": "2024-05-01T14:00:00.5+02:00",
                        "End": "2024-05-01T14:00:01+02:00",
                        "ExitCode": 0,
                        "Output": "",
                    }
                ],
            },
        }
    }
    (entry,) = container_from_inspect(data).health_log
    assert entry.start == pytest.approx(ts("2024-05-01T12:00:00.5"), abs=1e-6)
    assert entry.end == pytest.approx(ts("2024-05-01T12:00:01"), abs=1e-6)


@pytest.mark.parametrize(
    ("text", "whole", "fraction"),
    [
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", 0.0),
        ("1969-12-31T23:59:59.25Z", "1969-12-31T23:59:59+00:00", 0.25),
        ("2024-02-29T23:59:59.999999999Z", "2024-02-29T23:59:59+00:00", 0.999999999),
        ("2000-02-29T12:00:00-05:30", "2000-02-29T12:00:00-05:30", 0.0),
        ("2100-03-01T00:00:00.5+14:00", "2100-03-01T00:00:00+14:00", 0.5),
        ("9999-12-31T23:59:59-23:59", "9999-12-31T23:59:59-23:59", 0.0),
        ("0002-01-01T00:00:00+01:00", "0002-01-01T00:00:00+01:00", 0.0),
        ("2026-12-08T02:29:00", "2026-12-08T02:29:00+00:00", 0.0),  # no offset: UTC
        ("2026-12-08T02:29:00+05:60", "2026-12-08T02:29:00+06:00", 0.0),  # as datetime reads it
    ],
)
def test_timestamps_parse_as_datetime_does(text: str, whole: str, fraction: float) -> None:
    # Parsed by hand (no datetime import on the status path): the same instant.
    expected = datetime.fromisoformat(whole).timestamp() + fraction
    started = container_from_inspect({"State": {"StartedAt": text}}).started_at
    assert started == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-29T00:00:00Z",  # not a leap year
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-10T00:00:00Z",
        "2026-12-01T24:00:00Z",
        "2026-12-01T23:60:00Z",
        "2026-12-01T23:59:60Z",
        "2026-12-01T10:00:00+24:00",
        "2026-12-01T10:00:00+23:60",
        "0000-06-01T00:00:00Z",
    ],
)
def test_impossible_timestamps_are_none(text: str) -> None:
    with pytest.raises(ValueError):  # what the datetime parse said about them
        datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert container_from_inspect({"State": {"StartedAt": text}}).started_at is None


# --- explain -----------------------------------------------------------------------------

EP = "unix:///var/run/docker.sock"


def test_explain_permission_denied() -> None:
    exc = requests.exceptions.ConnectionError(
        "('Connection aborted.', PermissionError(13, 'Permission denied'))"
    )
    err = explain(exc, EP)
    assert err.reason == f"permission denied on {EP}"
    assert "docker group" in err.fix


def test_explain_connection_refused() -> None:
    err = explain(ConnectionRefusedError(111, "Connection refused"), "tcp://10.0.0.5:2375")
    assert err.reason == "no Docker engine answers at tcp://10.0.0.5:2375"
    assert "systemctl start docker" in err.fix
    assert "DOCKER_HOST" in err.fix


def test_explain_missing_socket() -> None:
    exc = Exception(
        "Error while fetching server API version: ('Connection aborted.', "
        "FileNotFoundError(2, 'No such file or directory'))"
    )
    assert explain(exc, EP).reason == f"no Docker engine answers at {EP}"


def test_explain_timeout() -> None:
    exc = requests.exceptions.ReadTimeout(
        "UnixHTTPConnectionPool(host='localhost', port=None): Read timed out. (read timeout=5)"
    )
    err = explain(exc, EP)
    assert err.reason == f"Docker engine at {EP} did not answer in time"
    assert "systemctl status docker" in err.fix


def test_explain_other_error_is_one_sanitized_line() -> None:
    err = explain(RuntimeError("500 Server Error\nboom \x1b]0;x\x07"), EP)
    assert err.reason == "Docker engine error: 500 Server Error boom "
    assert err.fix == ""
    assert isinstance(err, SourceError)


# --- endpoint --------------------------------------------------------------------------


@pytest.fixture
def no_docker_config(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_CONFIG", "DOCKER_TLS_VERIFY"):
        monkeypatch.delenv(var, raising=False)


def test_default_endpoint_is_the_local_socket(no_docker_config) -> None:
    params, label = resolve_endpoint({})
    assert params["base_url"] == "unix:///var/run/docker.sock"
    assert label == "unix:///var/run/docker.sock"


def test_docker_host_wins(no_docker_config) -> None:
    params, label = resolve_endpoint({"DOCKER_HOST": "tcp://10.0.0.5:2375"})
    assert params["base_url"] == "tcp://10.0.0.5:2375"
    assert label == "tcp://10.0.0.5:2375"


def test_docker_host_unix_socket(no_docker_config) -> None:
    _, label = resolve_endpoint({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"})
    assert label == "unix:///run/user/1000/docker.sock"


def test_environ_argument_is_used_not_process_env(no_docker_config, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://should-not-be-used:2375")
    _, label = resolve_endpoint({"LANG": "C"})
    assert label == "unix:///var/run/docker.sock"


def test_empty_environ_mapping_is_not_the_process_env(no_docker_config, monkeypatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://should-not-be-used:2375")
    _, label = resolve_endpoint({})
    assert label == "unix:///var/run/docker.sock"


def _write_context(home, name: str, host: str, current: bool) -> None:
    docker_dir = home / ".docker"
    meta_dir = docker_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest()
    meta_dir.mkdir(parents=True)
    meta = {
        "Name": name,
        "Metadata": {},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
    }
    (meta_dir / "meta.json").write_text(json.dumps(meta))
    config = {"currentContext": name} if current else {}
    (docker_dir / "config.json").write_text(json.dumps(config))


def test_docker_context_env_var_selects_context(no_docker_config, tmp_path) -> None:
    _write_context(tmp_path, "remote", "tcp://10.1.2.3:2375", current=False)
    params, label = resolve_endpoint({"DOCKER_CONTEXT": "remote"})
    assert params["base_url"] == "tcp://10.1.2.3:2375"
    assert label == "tcp://10.1.2.3:2375 (context remote)"


def test_docker_host_beats_current_context(no_docker_config, tmp_path) -> None:
    _write_context(tmp_path, "remote", "tcp://10.1.2.3:2375", current=True)
    params, label = resolve_endpoint({"DOCKER_HOST": "tcp://10.9.9.9:2375"})
    assert params["base_url"] == "tcp://10.9.9.9:2375"
    assert label == "tcp://10.9.9.9:2375"


def test_current_context_from_cli_config_sets_the_url(no_docker_config, tmp_path) -> None:
    _write_context(tmp_path, "remote", "tcp://10.1.2.3:2375", current=True)
    params, label = resolve_endpoint({"LANG": "C"})
    assert params["base_url"] == "tcp://10.1.2.3:2375"
    assert label.startswith("tcp://10.1.2.3:2375")


def test_current_context_from_cli_config_is_named(no_docker_config, tmp_path) -> None:
    _write_context(tmp_path, "remote", "tcp://10.1.2.3:2375", current=True)
    _, label = resolve_endpoint({"LANG": "C"})
    assert label == "tcp://10.1.2.3:2375 (context remote)"


def test_the_local_socket_is_used_only_in_the_plain_case(no_docker_config, tmp_path) -> None:
    assert local_socket({}) == "/var/run/docker.sock"
    assert local_socket({"DOCKER_HOST": "unix:///run/user/1000/docker.sock"}) == (
        "/run/user/1000/docker.sock"
    )
    assert local_socket({"DOCKER_HOST": "tcp://10.0.0.5:2375"}) is None
    assert local_socket({"DOCKER_HOST": "ssh://ops@host"}) is None
    tls = {"DOCKER_HOST": "unix:///x.sock", "DOCKER_TLS_VERIFY": "1"}
    assert local_socket(tls) is None
    assert local_socket({"DOCKER_CONTEXT": "remote"}) is None
    assert local_socket({"DOCKER_CONTEXT": "default"}) == "/var/run/docker.sock"
    _write_context(tmp_path, "remote", "tcp://10.1.2.3:2375", current=True)
    assert local_socket({}) is None  # the CLI's current context: the SDK resolves it
    source = DockerSource(environ={})
    assert source.endpoint == "tcp://10.1.2.3:2375 (context remote)"


def test_unreachable_engine_fails_fast_with_a_reason(no_docker_config) -> None:
    source = DockerSource(environ={"DOCKER_HOST": "unix:///nonexistent.sock"})
    assert source.endpoint == "unix:///nonexistent.sock"
    started = time.monotonic()
    with pytest.raises(SourceError) as info:
        source.containers("x")
    assert time.monotonic() - started < 5
    assert "no Docker engine answers" in info.value.reason
    assert "unix:///nonexistent.sock" in info.value.reason
    source.close()


class _CountingApi:
    """A stand-in low-level client: a fixed container list, counted inspects."""

    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.inspected: list[str] = []

    def containers(self, **kw) -> list[dict]:
        return self.rows

    def inspect_container(self, cid: str) -> dict:
        self.inspected.append(cid)
        row = next(r for r in self.rows if r["Id"] == cid)
        health = {"Status": "healthy"} if "(healthy)" in row["Status"] else None
        return {
            "Id": cid,
            "Name": f"/{cid}",
            "State": {"Status": row["State"], **({"Health": health} if health else {})},
            "Config": {"Labels": {"com.docker.compose.project": "p"}},
        }


def test_reconcile_inspects_only_containers_whose_listed_state_changed() -> None:
    rows = [
        {"Id": "a", "State": "running", "Status": "Up 2 hours (healthy)"},
        {"Id": "b", "State": "running", "Status": "Up 2 hours"},
        {"Id": "c", "State": "exited", "Status": "Exited (0) 1 hour ago"},
    ]
    api = _CountingApi(rows)
    source = DockerSource(environ={"DOCKER_HOST": "unix:///nonexistent.sock"})
    source._reads = lambda: api  # type: ignore[method-assign]
    first = source.containers("p")
    assert api.inspected == ["a", "b", "c"]
    api.inspected.clear()
    rows[1] = {"Id": "b", "State": "exited", "Status": "Exited (3) 1 second ago"}
    rows.append({"Id": "d", "State": "running", "Status": "Up 1 second"})
    again = source.containers("p", {c.id: c for c in first})
    assert api.inspected == ["b", "d"]  # a and c unchanged: taken from the last read
    assert [c.id for c in again] == ["a", "b", "c", "d"]
    assert listed_state(rows[0]) == ("running", "healthy")
