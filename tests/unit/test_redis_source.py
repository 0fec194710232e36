"""Finding the project's Redis, and failing fast and clearly when it cannot be reached."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
import redis.exceptions as rx

from arctui.config.envfiles import EnvLayers
from arctui.models import ContainerInfo, EnvValue, PortBinding, ServiceView
from arctui.sources.base import SourceError
from arctui.sources.redisdb import (
    RedisSource,
    RedisTarget,
    ReplyError,
    discover_target,
    explain,
    pack_commands,
    read_replies,
)


def _layers(values: dict[str, str], per_service: dict[str, dict[str, str]] | None = None):
    def wrap(d: dict[str, str], src: str) -> dict[str, EnvValue]:
        return {k: EnvValue(k, v, src, "PASSWORD" in k) for k, v in d.items()}

    return EnvLayers(
        files=(Path("/p/.env"),),
        values=wrap(values, "/p/.env"),
        per_service={k: wrap(v, f"/p/{k}/.env") for k, v in (per_service or {}).items()},
    )


def _redis_service(network_mode: str = "", ports=(), name="redis", env=()) -> ServiceView:
    c = ContainerInfo(
        id="c1",
        name="arc-sonic-cache",
        project="arc-platform",
        service=name,
        image="redis:7",
        state="running",
        ports=tuple(ports),
        network_mode=network_mode,
        env=tuple(env),
    )
    return ServiceView(name=name, role="redis", containers=(c,))


def test_env_file_host_and_port_are_used_as_written() -> None:
    t = discover_target(_layers({"REDIS_HOST": "10.1.2.3", "REDIS_PORT": "6390"}), {})
    assert (t.host, t.port, t.db, t.password) == ("10.1.2.3", 6390, 0, None)
    assert t.origin == "/p/.env"


def test_in_network_host_is_replaced_by_the_published_port() -> None:
    svc = _redis_service(ports=[PortBinding(6379, "tcp", "127.0.0.1", 16400)])
    t = discover_target(_layers({"REDIS_HOST": "redis"}), {}, [svc])
    assert (t.host, t.port) == ("127.0.0.1", 16400)
    assert "publishes" in t.origin and t.service == "redis"


def test_host_network_uses_loopback_and_the_env_port() -> None:
    svc = _redis_service(network_mode="host")
    t = discover_target(_layers({"REDIS_PORT": "16379"}), {}, [svc])
    assert (t.host, t.port) == ("127.0.0.1", 16379)


def test_unpublished_service_fails_with_a_fix() -> None:
    with pytest.raises(SourceError) as err:
        discover_target(_layers({}), {}, [_redis_service()])
    assert "publishes no port" in err.value.reason and "REDIS_URL" in err.value.fix


def test_password_layers_process_env_wins_and_per_service_file_is_read() -> None:
    svc = _redis_service(network_mode="host")
    layers = _layers({"REDIS_HOST": "redis"}, {"redis": {"REDIS_PASSWORD": "from-service"}})
    t = discover_target(layers, {}, [svc])
    assert t.password == "from-service" and t.password_origin == "/p/redis/.env"
    t = discover_target(layers, {"REDIS_PASSWORD": "from-shell"}, [svc])
    assert t.password == "from-shell" and "process environment" in t.password_origin


def test_container_env_password_is_the_last_resort() -> None:
    svc = _redis_service(network_mode="host", env=[("REDIS_PASSWORD", "in-container")])
    t = discover_target(_layers({}), {}, [svc])
    assert t.password == "in-container" and "container" in t.password_origin


def test_url_wins_and_the_password_never_shows() -> None:
    layers = _layers({"REDIS_URL": "redis://app:s3cr%40t@cache.internal:6400/2"})
    t = discover_target(layers, {"REDIS_HOST": "ignored"})
    assert (t.host, t.port, t.db, t.username, t.password) == (
        "cache.internal",
        6400,
        2,
        "app",
        "s3cr@t",
    )
    assert "s3cr" not in repr(t) and "s3cr" not in t.label and "s3cr" not in " ".join(t.cli_args())
    explicit = discover_target(layers, {}, url="rediss://other:7000/0")
    assert explicit.host == "other" and explicit.tls and explicit.origin == "the settings"


def test_bad_values_name_their_source() -> None:
    with pytest.raises(SourceError, match=r"REDIS_PORT .abc. from /p/\.env"):
        discover_target(_layers({"REDIS_PORT": "abc"}), {})
    with pytest.raises(SourceError, match="must look like redis://"):
        discover_target(_layers({"REDIS_URL": "http://x"}), {})


def test_nothing_configured_means_loopback_default_port() -> None:
    t = discover_target(None, {})
    assert (t.host, t.port, t.origin) == ("127.0.0.1", 6379, "default")


def test_a_hung_server_fails_within_the_timeout_not_a_minute() -> None:
    # A listening socket that never answers: the TCP handshake completes in the kernel,
    # then nothing. redis-py's defaults retried for ~59 s here.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        source = RedisSource(RedisTarget("127.0.0.1", port), timeout=0.3, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(SourceError) as err:
            source.info()
        elapsed = time.monotonic() - started
    assert "did not answer" in err.value.reason
    assert elapsed < 10 * 0.3  # one attempt (plus the connect handshake), no retries


def test_a_refused_connection_names_the_server_and_a_fix() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connection refused
        source = RedisSource(RedisTarget("127.0.0.1", port, origin="/p/.env"), timeout=0.5)
        with pytest.raises(SourceError) as err:
            source.dbsize()
    assert f"cannot connect to Redis at 127.0.0.1:{port}/0 (/p/.env)" in err.value.reason
    assert "ping" in err.value.fix


def test_errors_are_explained_and_the_password_redacted() -> None:
    t = RedisTarget("h", 1, password="hunter22", password_origin="/p/.env")
    wrong = explain(rx.AuthenticationError("WRONGPASS hunter22 invalid"), t)
    assert "refused the password from /p/.env" in wrong.reason and "hunter22" not in wrong.reason
    noauth = explain(rx.AuthenticationError("NOAUTH Authentication required."), RedisTarget("h"))
    assert "requires a password" in noauth.reason
    acl = explain(rx.NoPermissionError("NOPERM this user has no permissions"), t, "CONFIG GET")
    assert "ACL denies CONFIG GET" in acl.reason
    renamed = explain(rx.ResponseError("ERR unknown command 'CONFIG'"), t, "CONFIG GET")
    assert "disabled or renamed" in renamed.reason


def test_resp_packing_is_binary_safe() -> None:
    assert pack_commands([("SET", b"k\r\n", 1)]) == b"*3\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$1\r\n1\r\n"


def _replies(data: bytes, count: int, chunk: int = 1 << 16) -> list:
    a, b = socket.socketpair()
    with a, b:

        def feed() -> None:
            for i in range(0, len(data), chunk):
                a.sendall(data[i : i + chunk])
                time.sleep(0.001)

        writer = threading.Thread(target=feed)
        writer.start()
        b.settimeout(5)
        out = read_replies(b, count)
        writer.join()
    return out


def test_simple_replies_take_the_fast_path_even_in_pieces() -> None:
    out = _replies(b"+string\r\n:12\r\n_\r\n-ERR no such key\r\n", 4, chunk=3)
    assert out[:3] == [b"string", 12, None]
    assert isinstance(out[3], ReplyError) and "no such key" in str(out[3])


def test_bulk_and_array_replies_keep_keys_with_crlf_intact() -> None:
    data = b"*2\r\n$1\r\n0\r\n*2\r\n$4\r\na\r\nb\r\n$0\r\n\r\n$-1\r\n:5\r\n"
    assert _replies(data, 3, chunk=5) == [[b"0", [b"a\r\nb", b""]], None, 5]


def test_a_closed_connection_mid_reply_is_an_error() -> None:
    a, b = socket.socketpair()
    with b:
        a.sendall(b"+OK\r\n:1")
        a.close()
        b.settimeout(5)
        with pytest.raises(OSError):
            read_replies(b, 2)
