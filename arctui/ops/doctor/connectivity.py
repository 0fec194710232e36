"""Wizard 4: connectivity between services.

From inside each running container, with whatever tools it has (nc, nslookup/getent,
wget; it says so when it has none), resolve and connect to the endpoints it is
configured with (URLs and HOST/PORT pairs in its environment) and to the services it
depends on (by service name, on a compose network). Also: its network mode and
networks, and its published ports. Checks are bounded in number and each in time.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from arctui.models import ContainerInfo, ServiceView
from arctui.ops.doctor.context import DoctorContext
from arctui.ops.doctor.models import FOUND, INFO, OK, SKIPPED, Finding, Fix, Step, WizardResult
from arctui.stack.catalog import default_catalog
from arctui.stack.model import port_labels
from arctui.text import one_line

ID, TITLE = "connectivity", "Connectivity between services"
MAX_PER_CONTAINER = 6
MAX_TOTAL = 40
_TOOLS = ("nc", "nslookup", "getent", "wget", "curl")
_HOSTPORT = re.compile(r"^([A-Za-z0-9_.\-]+):(\d{1,5})$")
_DEFAULT_PORTS = {
    "postgres": 5432,
    "postgresql": 5432,
    "redis": 6379,
    "nats": 4222,
    "http": 80,
    "https": 443,
    "amqp": 5672,
    "pulsar": 6650,
}


@dataclass(frozen=True)
class Endpoint:
    """A host and port a container is meant to reach, and why it is checked."""

    host: str
    port: int
    why: str  # REDIS_URL, depends_on postgres ...


def endpoints(c: ContainerInfo) -> list[Endpoint]:
    """Endpoints named in the container's environment (URLs, host:port, HOST + PORT)."""
    env = dict(c.env)
    out: dict[tuple[str, int], Endpoint] = {}
    for key, value in env.items():
        value = value.strip()
        if "://" in value:
            try:
                parts = urlsplit(value)
                host, port = parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)
            except ValueError:
                continue
            if host and port:
                out.setdefault((host, port), Endpoint(host, port, key))
        elif (m := _HOSTPORT.match(value)) and key.endswith(
            ("_ADDR", "_ADDRESS", "_ENDPOINT", "_HOST")
        ):
            out.setdefault((m[1], int(m[2])), Endpoint(m[1], int(m[2]), key))
        if key.endswith("_HOST") and value and not _HOSTPORT.match(value):
            port_text = env.get(key[: -len("_HOST")] + "_PORT", "")
            if port_text.isdigit():
                out.setdefault((value, int(port_text)), Endpoint(value, int(port_text), key))
    return list(out.values())


def dependency_endpoints(
    view: ServiceView, snapshot_views: dict[str, ServiceView]
) -> list[Endpoint]:
    """Dependencies by compose DNS name and their role's first port (not on the host network)."""
    out = []
    catalog = default_catalog()
    for dep in view.depends_on:
        target = snapshot_views.get(dep)
        role = catalog.role(target.role) if target else None
        if role and role.ports:
            out.append(Endpoint(dep, role.ports[0], f"depends_on {dep}"))
    return out


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def tools_of(ctx: DoctorContext, c: ContainerInfo) -> list[str] | str:
    """The network tools the container has, or why that cannot be known."""
    script = (
        "for t in "
        + " ".join(_TOOLS)
        + "; do command -v $t >/dev/null 2>&1 && echo $t; done; exit 0"
    )
    code, out = ctx.exec(c.id, ["sh", "-c", script])
    if code is None or code in (126, 127):
        return f"cannot run a shell in {c.name}: {one_line(out, 200)}"
    return [t for t in out.split() if t in _TOOLS]


def check(
    ctx: DoctorContext, c: ContainerInfo, tools: list[str], ep: Endpoint
) -> tuple[bool | None, str]:
    """(reachable, evidence) for one endpoint from inside the container."""
    notes = []
    if not _is_ip(ep.host) and ep.host != "localhost":
        resolver = (
            ["nslookup", ep.host]
            if "nslookup" in tools
            else (["getent", "hosts", ep.host] if "getent" in tools else None)
        )
        if resolver is not None:
            code, out = ctx.exec(c.id, resolver)
            if code != 0:
                return False, f"{' '.join(resolver)}: cannot resolve: {one_line(out, 200)}"
            notes.append(f"{ep.host} resolves")
    if "nc" in tools:
        # The host is outside text: passed as an argument, never spliced into the script.
        cmd = ["sh", "-c", 'nc -w 2 "$0" "$1" </dev/null', ep.host, str(ep.port)]
        shown = f"nc -w 2 {ep.host} {ep.port}"
    elif "wget" in tools:
        cmd = ["wget", "-q", "-T", "2", "-O", "/dev/null", f"http://{ep.host}:{ep.port}/"]
        shown = " ".join(cmd)
    else:
        return None, f"{c.name} has no nc or wget: cannot test {ep.host}:{ep.port} from inside"
    code, out = ctx.exec(c.id, cmd)
    text = one_line(out, 200) or f"exit {code}"
    if code == 0:
        return True, f"{shown}: connected" + (f" ({', '.join(notes)})" if notes else "")
    low = out.lower()
    if (
        cmd[0] == "wget"
        and "refused" not in low
        and "timed out" not in low
        and "bad address" not in low
    ):
        return True, f"{shown}: the port answered ({text})"
    return False, f"{shown}: {text}"


def _target_service(ep: Endpoint, views: dict[str, ServiceView]) -> ServiceView | None:
    for v in views.values():
        names = {v.name, *(c.name for c in v.containers)}
        if v.declared is not None:
            names |= {a for n in v.declared.networks for a in n.aliases}
            if v.declared.container_name:
                names.add(v.declared.container_name)
        if ep.host in names:
            return v
    return None


def run(ctx: DoctorContext) -> WizardResult:
    """Connect from every running container to what it is configured to reach."""
    steps = ctx.step_log(ID)
    findings: list[Finding] = []
    views = {s.name: s for s in ctx.snapshot.services}
    if ctx.session.demo:
        steps.append(
            Step(
                "connections from inside containers",
                SKIPPED,
                "demo platform: nothing runs inside containers",
            )
        )
        return WizardResult(ID, TITLE, tuple(steps), ())
    total = 0
    for view in views.values():
        c = next((c for c in view.containers if c.state == "running"), None)
        if c is None:
            continue
        networks = ", ".join(n.name for n in view.declared.networks) if view.declared else ""
        published = ", ".join(port_labels(c.ports)) or "none"
        mode = f"network mode {c.network_mode or 'default'}" + (
            f", networks {networks}" if networks else ""
        )
        eps = endpoints(c)
        if c.network_mode != "host":
            eps += [
                e
                for e in dependency_endpoints(view, views)
                if (e.host, e.port) not in {(x.host, x.port) for x in eps}
            ]
        eps = eps[:MAX_PER_CONTAINER]
        if not eps:
            continue
        if total >= MAX_TOTAL:
            steps.append(Step(f"{view.name}", SKIPPED, f"more than {MAX_TOTAL} checks"))
            continue
        tools = tools_of(ctx, c)
        if isinstance(tools, str):
            steps.append(Step(f"{view.name}: tools", SKIPPED, tools))
            continue
        steps.append(
            Step(
                f"{view.name}: {mode}; published {published}",
                INFO,
                "tools: " + (", ".join(tools) or "none (no nc, nslookup, wget)"),
            )
        )
        for ep in eps:
            total += 1
            ok, evidence = check(ctx, c, tools, ep)
            status = OK if ok else (SKIPPED if ok is None else FOUND)
            steps.append(Step(f"{view.name} -> {ep.host}:{ep.port} ({ep.why})", status, evidence))
            if ok is not False:
                continue
            fixes = []
            target = _target_service(ep, views)
            if target is not None and target.state.value in ("stopped", "not created"):
                fixes.append(
                    Fix(
                        f"Start {target.name}",
                        "lifecycle",
                        target.name,
                        "start" if target.containers else "up",
                    )
                )
            fixes += [
                Fix(
                    "Put both services on the same network (arc_net) in the compose files",
                    "advice",
                    view.name,
                ),
                Fix(
                    f"Check that {ep.why} names the service as compose knows it (service name"
                    " or alias) and that the port is the one it listens on",
                    "advice",
                    view.name,
                ),
                Fix("Check the host's firewall / iptables", "advice", view.name),
            ]
            findings.append(
                Finding(
                    ID,
                    "cannot-connect",
                    "error",
                    f"{view.name} cannot reach {ep.host}:{ep.port} ({ep.why})",
                    view.name,
                    (evidence, mode, f"published ports: {published}"),
                    tuple(fixes),
                )
            )
    if total == 0:
        steps.append(
            Step(
                "connections from inside containers",
                OK,
                "no running container names an endpoint to check",
            )
        )
    return WizardResult(ID, TITLE, tuple(steps), tuple(findings))
