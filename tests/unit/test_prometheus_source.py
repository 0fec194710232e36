"""The Prometheus client (against a loopback HTTP stand-in) and discovery from the stack."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from arctui.models import (
    ContainerInfo,
    DeclaredService,
    HealthCheckSpec,
    PortBinding,
    ServiceView,
)
from arctui.sources.base import SourceError
from arctui.sources.prometheus import PromClient, PrometheusAbsent, PromTarget, discover


class Handler(BaseHTTPRequestHandler):
    replies: dict[str, tuple[int, bytes]] = {}
    seen: list[tuple[str, dict[str, list[str]], str]] = []

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self.seen.append((parts.path, parse_qs(parts.query), self.headers.get("Authorization", "")))
        if parts.path.startswith("/slow"):
            threading.Event().wait(2)
        status, body = self.replies.get(parts.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None: ...


def _serve(handler: type) -> Iterator[str]:
    """A loopback HTTP server with `handler` on a free port, for one test."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def server() -> Iterator[str]:
    Handler.replies, Handler.seen = {}, []
    yield from _serve(Handler)


def ok(data: object) -> tuple[int, bytes]:
    return 200, json.dumps({"status": "success", "data": data}).encode()


def test_instant_and_range_queries(server: str) -> None:
    Handler.replies["/api/v1/query"] = ok(
        {"resultType": "vector", "result": [{"metric": {"a": "b"}, "value": [1, "2.5"]},
                                            {"metric": {}, "value": [1, "NaN"]}]}
    )  # fmt: skip
    Handler.replies["/api/v1/query_range"] = ok(
        {"resultType": "matrix",
         "result": [{"metric": {"x": "1"}, "values": [[10, "1"], [70, "+Inf"], [130, "3"]]}]}
    )  # fmt: skip
    client = PromClient(PromTarget(server + "/", "test"))
    [first, second] = client.query("up", at=1234.5)
    assert dict(first.labels) == {"a": "b"} and first.value == 2.5
    assert second.value != second.value  # NaN kept for the reader to drop
    [series] = client.query_range("up", 0, 130, 60)
    assert series.points == ((10.0, 1.0), (130.0, 3.0))
    assert client.requests == 2
    path, params, _ = Handler.seen[0]
    assert path == "/api/v1/query" and params == {"query": ["up"], "time": ["1234.500"]}


def test_errors_say_what_and_never_echo_the_password(server: str) -> None:
    url = server.replace("http://", "http://ops:Sup3r-secret@")
    client = PromClient(PromTarget(url, "test"))
    Handler.replies["/api/v1/query"] = (
        400, b'{"status":"error","errorType":"bad_data","error":"parse error at char 3"}'
    )  # fmt: skip
    with pytest.raises(SourceError) as bad:
        client.query("su(")
    assert "parse error at char 3" in bad.value.reason
    assert Handler.seen[-1][2].startswith("Basic ")  # the user and password as basic auth
    Handler.replies["/api/v1/query"] = (401, b"")
    with pytest.raises(SourceError) as denied:
        client.query("up")
    assert "refused" in denied.value.reason and "prometheus_url" in denied.value.fix
    Handler.replies["/api/v1/query"] = (200, b"<html>grafana</html>")
    with pytest.raises(SourceError, match="did not answer JSON"):
        client.query("up")
    for exc in (bad, denied):
        assert "Sup3r-secret" not in exc.value.reason + exc.value.fix
    assert "Sup3r-secret" not in client.label


def test_a_hung_prometheus_times_out(server: str) -> None:
    client = PromClient(PromTarget(server + "/slow", "test"), timeout=0.3)
    with pytest.raises(SourceError, match=r"cannot connect .*no answer within 0.3 s"):
        client.query("up")


def test_nothing_listening_says_how_to_reach_it() -> None:
    client = PromClient(PromTarget("http://127.0.0.1:9", "test", service="prometheus"))
    with pytest.raises(SourceError) as info:
        client.alerts()
    assert info.value.reason.startswith("cannot connect to Prometheus at http://127.0.0.1:9")
    assert "arctui start prometheus" in info.value.fix and "ARCTUI_PROMETHEUS_URL" in info.value.fix


def service(
    network: str = "",
    ports: tuple[PortBinding, ...] = (),
    check: tuple[str, ...] = (),
    state: str = "running",
) -> ServiceView:
    container = ContainerInfo(
        id="c1", name="arc-house-metrics", project="p", service="prometheus", image="prom",
        state=state, network_mode=network, ports=ports,
    )  # fmt: skip
    declared = DeclaredService(
        "prometheus", healthcheck=HealthCheckSpec(check) if check else None, ports=ports
    )
    return ServiceView("prometheus", "prometheus", (container,), declared)


def test_port_from_the_health_check_on_the_host_network() -> None:
    check = ("CMD", "wget", "-q", "-O-", "http://127.0.0.1:19090/-/healthy")
    target = discover([service("host", check=check)])
    assert target.url == "http://127.0.0.1:19090"
    assert "port 19090 from its health check" in target.origin


def test_published_port_and_the_default_port() -> None:
    published = (PortBinding(9090, "tcp", "0.0.0.0", 29090),)
    assert discover([service("arc_net", published)]).url == "http://127.0.0.1:29090"
    with pytest.raises(SourceError) as info:
        discover([service("arc_net")])
    assert "publishes no port for 9090" in info.value.reason
    assert "127.0.0.1:9090:9090" in info.value.fix and "ssh -L" in info.value.fix


def test_absent_stopped_and_url_override() -> None:
    with pytest.raises(PrometheusAbsent, match="no Prometheus"):
        discover([])
    with pytest.raises(SourceError, match="is not running"):
        discover([service("host", state="exited")])
    target = discover([], "http://u:p@prom.example:9090/", "ARCTUI_PROMETHEUS_URL")
    assert (
        target.url == "http://u:p@prom.example:9090" and target.label == "http://prom.example:9090"
    )
    with pytest.raises(SourceError, match="must look like http://host:9090"):
        discover([], "ftp://prom", "the settings")


class KeepAlive(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive; counts the connections it accepted. `drop` closes the
    connection after each answer without saying so (as an idle timeout on the server
    does between two refreshes)."""

    protocol_version = "HTTP/1.1"
    connections = 0
    drop = False
    paths: list[str] = []

    def setup(self) -> None:
        super().setup()
        type(self).connections += 1

    def do_GET(self) -> None:
        self.paths.append(self.path)
        parts = urlsplit(self.path)
        [expr] = parse_qs(parts.query)["query"]
        body = json.dumps(
            {"status": "success",
             "data": {"resultType": "vector",
                      "result": [{"metric": {"q": expr}, "value": [1, "1"]}]}}
        ).encode()  # fmt: skip
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.drop:
            self.close_connection = True

    def log_message(self, *args: object) -> None: ...


@pytest.fixture()
def keepalive() -> Iterator[str]:
    KeepAlive.connections, KeepAlive.drop, KeepAlive.paths = 0, False, []
    yield from _serve(KeepAlive)


def test_one_kept_alive_connection_serves_every_refresh(keepalive: str) -> None:
    client = PromClient(PromTarget(keepalive, "test"))
    for _ in range(5):
        assert client.query("up", at=1.0)[0].value == 1.0
    assert KeepAlive.connections == 1  # not one accept (and handshake) per request
    assert client.requests == 5
    client.close()
    client.query("up")
    assert KeepAlive.connections == 2


def test_a_connection_the_server_closed_while_idle_is_replaced(keepalive: str) -> None:
    KeepAlive.drop = True
    client = PromClient(PromTarget(keepalive, "test"))
    for _ in range(3):
        assert client.query("up")[0].value == 1.0  # no "cannot connect" from a stale one
    assert KeepAlive.connections == 3


def test_every_expression_arrives_as_written(keepalive: str) -> None:
    client = PromClient(PromTarget(keepalive + "/prom/", "test"))
    exprs = [
        'sum by (service_name) (rate({__name__=~"a(_total)?",x="a b&c=d+e"}[5m]))',
        'label_replace(up, "f", "é/ü %", "", "") or vector(1) + 2',
    ]
    for expr in exprs * 2:  # the second time from the cache of encoded expressions
        [sample] = client.query(expr, at=1234.5)
        assert sample.labels == {"q": expr}
    assert all(p.startswith("/prom/api/v1/query?") for p in KeepAlive.paths)
    assert all(p.endswith("&time=1234.500") for p in KeepAlive.paths)
