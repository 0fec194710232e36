"""Env files: parsing, layering with provenance, per-service files in both layouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.envfiles import PROCESS_SOURCE, env_layers, read_env_file
from arctui.config.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_inline_comment_after_equals_means_empty(tmp_path: Path) -> None:
    env = write(
        tmp_path / ".env",
        "REDIS_PASSWORD=  # Leave empty for local dev\n"
        "REDIS_PORT=6379 # default\n"
        "HASHED=a#b\n"
        'QUOTED="x # y"\n'
        "export LOG_LEVEL=info\n"
        "BARE\n",
    )
    assert read_env_file(env) == {
        "REDIS_PASSWORD": "",
        "REDIS_PORT": "6379",
        "HASHED": "a#b",
        "QUOTED": "x # y",
        "LOG_LEVEL": "info",
        "BARE": "",
    }


def test_values_are_not_interpolated(tmp_path: Path) -> None:
    env = write(tmp_path / ".env", "A=1\nB=${A}-x\n")
    assert read_env_file(env)["B"] == "${A}-x"


def test_malformed_line_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    env = write(tmp_path / ".env", "A=1\n# comment\nthis is not valid\nB=2\n")
    with pytest.raises(ConfigError) as info:
        read_env_file(env)
    assert str(info.value) == f"{env}:3: cannot parse line: expected KEY=value"
    assert info.value.line == 3


def test_unterminated_quote_names_key_but_never_the_value(tmp_path: Path) -> None:
    env = write(tmp_path / ".env", 'A=1\nPOSTGRES_PASSWORD="hunter2\nC=3\n')
    with pytest.raises(ConfigError) as info:
        read_env_file(env)
    assert str(info.value).startswith(f"{env}:2: cannot parse the value of POSTGRES_PASSWORD")
    assert "hunter2" not in str(info.value)


def test_unreadable_env_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    with pytest.raises(ConfigError, match="cannot read env file"):
        env_layers(tmp_path, None)


def test_non_utf8_env_file_is_an_error(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes(b"A=1\nB=\xff\xfe\n")
    with pytest.raises(ConfigError, match=r":2: env file is not UTF-8"):
        read_env_file(env)


def test_bom_and_crlf_are_tolerated(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes(b"\xef\xbb\xbfA=1\r\nB=2\r\n")
    assert read_env_file(env) == {"A": "1", "B": "2"}


def test_layering_order_and_provenance(tmp_path: Path) -> None:
    base = write(tmp_path / ".env", "POSTGRES_USER=arc\nPOSTGRES_PASSWORD=devpw\nLOG_LEVEL=info\n")
    prod = write(tmp_path / ".env.prod", "POSTGRES_PASSWORD=prodpw\nLOG_LEVEL=warn\n")
    layers = env_layers(tmp_path, "prod")

    assert layers.files == (base, prod)
    assert layers.missing == ()
    password = layers.values["POSTGRES_PASSWORD"]
    assert (password.value, password.source, password.overridden) == (
        "prodpw",
        str(prod),
        (str(base),),
    )
    assert password.secret is True
    user = layers.values["POSTGRES_USER"]
    assert (user.value, user.source, user.overridden, user.secret) == ("arc", str(base), (), False)
    # the replaced dev password is still known to the redactor
    assert set(layers.secret_values()) == {"prodpw", "devpw"}


def test_env_file_replaces_dot_env(tmp_path: Path) -> None:
    write(tmp_path / ".env", "A=from-dot-env\nONLY_IN_DOT_ENV=1\n")
    staging = write(tmp_path / ".env.staging", "A=from-staging\n")
    layers = env_layers(tmp_path, None, env_file=".env.staging")
    assert layers.files == (staging,)
    assert layers.values["A"].value == "from-staging"
    assert "ONLY_IN_DOT_ENV" not in layers.values


def test_env_file_equal_to_env_overlay_is_read_once(tmp_path: Path) -> None:
    prod = write(tmp_path / ".env.prod", "A=1\n")
    layers = env_layers(tmp_path, "prod", env_file=".env.prod")
    assert layers.files == (prod,)
    assert layers.values["A"].overridden == ()


def test_missing_env_overlay_is_reported(tmp_path: Path) -> None:
    base = write(tmp_path / ".env", "A=1\n")
    layers = env_layers(tmp_path, "prod")
    assert layers.files == (base,)
    assert layers.missing == (tmp_path / ".env.prod",)


def test_missing_explicit_env_file_is_reported_but_default_is_not(tmp_path: Path) -> None:
    assert env_layers(tmp_path, None).missing == ()
    assert env_layers(tmp_path, None, env_file="nope.env").missing == (tmp_path / "nope.env",)


def test_per_service_guide_layout(tmp_path: Path) -> None:
    base = write(
        tmp_path / "config/postgres/.env", "POSTGRES_MAX_CONNECTIONS=100\nPGPW_SECRET=a1b2\n"
    )
    prod = write(tmp_path / "config/postgres/.env.prod", "POSTGRES_MAX_CONNECTIONS=500\n")
    write(tmp_path / "config/kratos/.env.example", "X=1\n")
    write(tmp_path / "config/kratos/.env.dev", "X=2\n")
    layers = env_layers(tmp_path, "prod")

    pg = layers.per_service["postgres"]
    assert pg["POSTGRES_MAX_CONNECTIONS"].value == "500"
    assert pg["POSTGRES_MAX_CONNECTIONS"].source == str(prod)
    assert pg["POSTGRES_MAX_CONNECTIONS"].overridden == (str(base),)
    # kratos keeps files per environment but none for prod: that is a finding
    assert "kratos" not in layers.per_service
    assert layers.missing == (tmp_path / ".env.prod", tmp_path / "config/kratos/.env.prod")
    assert "a1b2" in layers.secret_values()
    # root values are not mixed with per-service ones
    assert "POSTGRES_MAX_CONNECTIONS" not in layers.values


def test_per_service_platform_layout(tmp_path: Path) -> None:
    write(tmp_path / ".env.example", "POSTGRES_USER=CHANGE_ME\n")
    write(tmp_path / "core/caching/redis/.env.example", "REDIS_PASSWORD=\n")
    redis_env = write(
        tmp_path / "core/caching/redis/.env",
        "REDIS_PASSWORD=  # Leave empty for local dev\nREDIS_MAXMEMORY=512mb\n",
    )
    write(tmp_path / "core/messaging/nats/.env.example", "NATS_PORT=4222\n")  # no .env: skipped
    write(tmp_path / "node_modules/x/.env.example", "")
    write(tmp_path / "node_modules/x/.env", "NOPE=1\n")
    layers = env_layers(tmp_path, "prod")

    assert set(layers.per_service) == {"redis"}
    redis = layers.per_service["redis"]
    assert redis["REDIS_PASSWORD"].value == ""
    assert redis["REDIS_PASSWORD"].secret is True
    assert redis["REDIS_MAXMEMORY"].source == str(redis_env)
    # platform services keep no per-environment files: no .env.prod expected for them;
    # the root .env is expected because a .env.example beside it says so
    assert layers.missing == (tmp_path / ".env", tmp_path / ".env.prod")


def test_per_service_walk_is_depth_limited(tmp_path: Path) -> None:
    deep = tmp_path / "a/b/c/d/e/f/svc"
    write(deep / ".env.example", "")
    write(deep / ".env", "A=1\n")
    assert env_layers(tmp_path, None).per_service == {}


def test_services_filter_per_service_results(tmp_path: Path) -> None:
    for name in ("redis", "postgres"):
        write(tmp_path / "config" / name / ".env", f"NAME={name}\n")
    layers = env_layers(tmp_path, None, services=["redis"])
    assert set(layers.per_service) == {"redis"}


def test_malformed_per_service_file_names_that_file(tmp_path: Path) -> None:
    bad = write(tmp_path / "config/redis/.env", "A=1\nB C\n")
    with pytest.raises(ConfigError) as info:
        env_layers(tmp_path, None)
    assert str(info.value).startswith(f"{bad}:2:")


def test_process_environment_is_recorded_not_merged(tmp_path: Path) -> None:
    env = write(tmp_path / ".env", "LOG_LEVEL=info\nREDIS_PASSWORD=filepw1\n")
    layers = env_layers(
        tmp_path, None, environ={"LOG_LEVEL": "debug", "REDIS_PASSWORD": "shellpw1", "HOME": "/x"}
    )
    assert layers.values["LOG_LEVEL"].value == "info"
    assert set(layers.process_overrides) == {"LOG_LEVEL", "REDIS_PASSWORD"}
    shell = layers.process_overrides["LOG_LEVEL"]
    assert (shell.value, shell.source, shell.overridden) == ("debug", PROCESS_SOURCE, (str(env),))
    assert set(layers.secret_values()) == {"filepw1", "shellpw1"}


def test_secret_values_include_url_passwords(tmp_path: Path) -> None:
    write(tmp_path / ".env", "DATABASE_URL=postgres://arc:urlpw99@db/arc_db\nPOSTGRES_PASSWORD=\n")
    assert env_layers(tmp_path, None).secret_values() == ["urlpw99"]
