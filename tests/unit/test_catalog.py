"""The role catalog: tech label, then image, then service/container name; YAML-driven."""

from __future__ import annotations

import pytest

from arctui.stack.catalog import TECH_LABEL, default_catalog, image_base, parse_catalog


@pytest.fixture
def catalog():
    return default_catalog()


def tech(value: str) -> dict[str, str]:
    return {TECH_LABEL: value}


# --- resolution order ---------------------------------------------------------------


def test_tech_label_beats_image_and_name(catalog) -> None:
    role = catalog.resolve(
        labels=tech("redis"), image="postgres:16", service="postgres", container_name="arc_pg"
    )
    assert role == "redis"


def test_image_beats_name(catalog) -> None:
    assert catalog.resolve(image="redis:7-alpine", service="postgres") == "redis"


def test_service_name_beats_container_name(catalog) -> None:
    assert catalog.resolve(service="cache-redis", container_name="arc-oracle-sql") == "redis"


def test_container_name_used_when_service_name_matches_nothing(catalog) -> None:
    assert catalog.resolve(service="db", container_name="arc-oracle-sql") == "postgres"


def test_unknown_tech_label_falls_through_to_image(catalog) -> None:
    assert catalog.resolve(labels=tech("mongodb"), image="nats:2.10") == "nats"


def test_tech_label_is_case_and_whitespace_insensitive(catalog) -> None:
    assert catalog.resolve(labels=tech("  PostgreSQL ")) == "postgres"


def test_unrelated_labels_are_ignored(catalog) -> None:
    labels = {"arc.service.role": "redis", "com.docker.compose.service": "redis"}
    assert catalog.resolve(labels=labels) == "other"


def test_unknown_everything_is_fallback_other(catalog) -> None:
    assert catalog.fallback == "other"
    assert catalog.resolve() == "other"
    assert (
        catalog.resolve(labels={}, image="busybox:1.36", service="sidecar", container_name="x")
        == "other"
    )


# --- both naming schemes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        # the operations guide's layout
        ("arc_postgres", "postgres"),
        ("arc_redis", "redis"),
        ("arc-raymond-services", "app"),
        # the current platform's container_name values
        ("arc-heimdall-gateway", "traefik"),
        ("arc-widow-otel", "otel-collector"),
        ("arc-oracle-sql", "postgres"),
        ("arc-sonic-cache", "redis"),
        ("arc-flash-pulse", "nats"),
        ("arc-strange-stream", "pulsar"),
        ("arc-fury-vault", "infisical"),
        ("arc-mystique-flags", "unleash"),
        ("arc-daredevil-voice", "livekit"),
        ("arc-watson-logs", "loki"),
        ("arc-house-metrics", "prometheus"),
        ("arc-columbo-traces", "jaeger"),
        ("arc-friday-viz", "grafana"),
        ("arc-deckard-identity", "kratos"),
    ],
)
def test_container_names_of_both_layouts(catalog, name: str, role: str) -> None:
    assert catalog.resolve(container_name=name) == role
    # The engine reports names with a leading slash in inspect output.
    assert catalog.resolve(container_name="/" + name) == role


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("arc-platform-redis-1", "redis"),
        ("arc-platform-postgres-2", "postgres"),
        ("arc-platform-otel-collector-1", "otel-collector"),
        ("ARC-PLATFORM-GRAFANA-1", "grafana"),
    ],
)
def test_compose_v2_generated_names(catalog, name: str, role: str) -> None:
    assert catalog.resolve(container_name=name) == role


def test_name_matching_is_by_whole_tokens_not_substrings(catalog) -> None:
    # `pgadmin` contains `pg`, `redisinsight` contains `redis`: neither is that service.
    assert catalog.resolve(container_name="arc-pgadmin") == "other"
    assert catalog.resolve(container_name="redisinsight") == "other"


def test_longer_name_pattern_wins_over_single_token(catalog) -> None:
    # `gateway` alone would be traefik; `oracle-sql` (two tokens) is the better match.
    assert catalog.resolve(container_name="oracle-sql-gateway") == "postgres"


# --- every platform tech label -------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "role"),
    [
        ("traefik", "traefik"),
        ("opentelemetry", "otel-collector"),
        ("postgresql", "postgres"),
        ("redis", "redis"),
        ("nats", "nats"),
        ("pulsar", "pulsar"),
        ("infisical", "infisical"),
        ("unleash", "unleash"),
        ("livekit", "livekit"),
        ("loki", "loki"),
        ("prometheus", "prometheus"),
        ("jaeger", "jaeger"),
        ("grafana", "grafana"),
        ("kratos", "kratos"),
        ("custom", "app"),
    ],
)
def test_every_platform_tech_label(catalog, label: str, role: str) -> None:
    # A meaningless name and image, so only the label can decide.
    assert catalog.resolve(labels=tech(label), image="x/y:1", service="zzz") == role


# --- images ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "base"),
    [
        ("postgres", "postgres"),
        ("postgres:16", "postgres"),
        ("library/postgres:16-alpine", "postgres"),
        ("docker.io/library/redis:7.2", "redis"),
        ("registry:5000/org/postgres:16@sha256:ab", "postgres"),
        ("registry:5000/postgres", "postgres"),
        ("postgres@sha256:abcdef", "postgres"),
        ("ghcr.io/Org/Traefik:v3.0", "traefik"),
        ("", ""),
    ],
)
def test_image_base(image: str, base: str) -> None:
    assert image_base(image) == base


@pytest.mark.parametrize(
    ("image", "role"),
    [
        ("registry:5000/org/postgres:16@sha256:ab", "postgres"),
        ("timescale/timescaledb:latest-pg16", "postgres"),
        ("otel/opentelemetry-collector-contrib:0.98.0", "otel-collector"),
        ("jaegertracing/all-in-one:1.57", "jaeger"),
        ("unleashorg/unleash-server:5", "unleash"),
        ("livekit/livekit-server:v1.6", "livekit"),
        ("apachepulsar/pulsar:3.2.0", "pulsar"),
        ("oryd/kratos:v1.1", "kratos"),
        ("grafana/grafana-oss:10.4.0", "grafana"),
    ],
)
def test_role_from_image(catalog, image: str, role: str) -> None:
    assert catalog.resolve(image=image, service="zzz") == role


def test_registry_port_is_not_mistaken_for_a_tag(catalog) -> None:
    # `registry:5000/...` must not reduce to `registry`.
    assert catalog.resolve(image="registry:5000/redis") == "redis"


# --- the catalog itself ---------------------------------------------------------------


def test_shipped_catalog_roles_and_probes(catalog) -> None:
    names = [r.name for r in catalog.roles]
    assert names[:2] == ["postgres", "redis"]
    assert len(names) == len(set(names))
    pg = catalog.role("postgres")
    assert pg is not None
    assert pg.title == "PostgreSQL"
    assert pg.ports == (5432,)
    assert pg.probe["command"] == ["pg_isready", "-U", "arc", "-d", "arc_db"]
    assert ("oracle", "sql") in pg.names
    assert catalog.role("nosuch") is None


def test_parse_catalog_rejects_a_non_mapping_entry() -> None:
    with pytest.raises(ValueError, match="'broken'"):
        parse_catalog({"roles": {"ok": {"tech": ["ok"]}, "broken": ["mongo"]}})


def test_parse_catalog_rejects_a_non_numeric_port() -> None:
    with pytest.raises(ValueError):
        parse_catalog({"roles": {"mongo": {"ports": ["not-a-port"]}}})


def test_custom_catalog_adds_a_role_without_code() -> None:
    custom = parse_catalog(
        {
            "roles": {
                "mongo": {
                    "title": "MongoDB",
                    "tech": ["MongoDB"],
                    "images": ["mongo"],
                    "names": ["mongo", "doc-store"],
                    "ports": [27017],
                    "probe": {"kind": "exec", "command": ["mongosh", "--eval", "1"]},
                },
                "bare": {},
            },
            "fallback": "unknown",
        }
    )
    assert custom.resolve(labels=tech("mongodb")) == "mongo"
    assert custom.resolve(image="docker.io/library/mongo:7") == "mongo"
    assert custom.resolve(container_name="arc-doc-store-1") == "mongo"
    assert custom.resolve(image="postgres:16") == "unknown"
    mongo = custom.role("mongo")
    assert mongo is not None
    assert (mongo.title, mongo.ports, mongo.names) == (
        "MongoDB",
        (27017,),
        (("mongo",), ("doc", "store")),
    )
    bare = custom.role("bare")
    assert bare is not None
    assert bare.title == "bare"
    assert (bare.tech, bare.images, bare.names, bare.ports) == ((), (), (), ())


def test_empty_catalog_resolves_everything_to_fallback() -> None:
    empty = parse_catalog({})
    assert empty.roles == ()
    assert empty.resolve(labels=tech("postgresql"), image="postgres") == "other"


def test_parse_catalog_scalar_instead_of_list() -> None:
    try:
        custom = parse_catalog({"roles": {"mongo": {"tech": "mongodb", "images": "mongo"}}})
    except ValueError:
        return  # rejecting it is fine too
    assert custom.resolve(labels=tech("mongodb")) == "mongo"
    assert custom.resolve(image="mongo:7") == "mongo"


def test_names_are_matched_once_and_the_memory_is_bounded(monkeypatch) -> None:
    # Every snapshot resolves every container again; the name scan (some 60 patterns)
    # was the stack reader's largest cost at 50 containers.
    from arctui.stack import catalog as module

    cat = default_catalog()
    # default_catalog() is shared: names resolved by earlier tests must not count here.
    cat._names.clear()
    scans: list[str] = []
    real = module.Catalog._scan
    monkeypatch.setattr(module.Catalog, "_scan", lambda self, n: scans.append(n) or real(self, n))
    monkeypatch.setattr(module, "NAMES_MAX", 50)
    first = [cat.resolve(service=f"svc{i}-postgres") for i in range(3)]
    assert [cat.resolve(service=f"svc{i}-postgres") for i in range(3)] == first
    assert scans.count("svc0-postgres") == 1
    for i in range(200):
        cat.resolve(service=f"unique-{i}")
    assert len(cat._names) <= 50
    assert cat.resolve(service="my-redis") == "redis"
