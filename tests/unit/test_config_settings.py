"""User settings: XDG paths, defaults, validation and per-environment overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from arctui.config.errors import ConfigError
from arctui.config.settings import (
    Settings,
    config_dir,
    load_settings,
    settings_path,
    state_dir,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_xdg_dirs_follow_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert config_dir() == tmp_path / "cfg/arctui"
    assert state_dir() == tmp_path / "state/arctui"
    assert settings_path() == tmp_path / "cfg/arctui/settings.yaml"


def test_xdg_dirs_fall_back_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("XDG_STATE_HOME", "relative/is/ignored")
    assert config_dir() == tmp_path / ".config/arctui"
    assert state_dir() == tmp_path / ".local/state/arctui"


def test_missing_or_empty_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.yaml") == Settings()
    assert load_settings(write(tmp_path / "s.yaml", "# nothing yet\n")) == Settings()
    defaults = Settings()
    assert (defaults.refresh, defaults.theme, defaults.keymap, defaults.read_only) == (
        2.0,
        "arc-dark",
        "default",
        False,
    )


def test_full_file_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml",
        "refresh: 5\ntheme: solar\nkeymap: vim\nread_only: true\n"
        "production_envs: [live]\nenvs:\n  live: {refresh: 10}\n",
    )
    settings = load_settings(path)
    assert settings.refresh == 5.0 and isinstance(settings.refresh, float)
    assert (settings.theme, settings.keymap, settings.read_only) == ("solar", "vim", True)
    assert settings.production_envs == ("live",)
    assert dict(settings.envs["live"]) == {"refresh": 10.0}


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "refresh: 2\ntheme: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value).startswith(str(path))
    assert "invalid YAML" in str(info.value)
    assert info.value.line is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("refresh: fast\n", "key 'refresh' must be a number of seconds"),
        ("refresh: 0.1\n", "key 'refresh' must be between 0.2 and 3600"),
        ("refresh: true\n", "key 'refresh' must be a number"),
        ("read_only: 'yes'\n", "key 'read_only' must be true or false, got 'yes'"),
        ("theme: ''\n", "key 'theme' must be a non-empty string"),
        ("production_envs: prod\n", "key 'production_envs' must be a list"),
        ("envs: [prod]\n", "key 'envs' must be a mapping"),
        ("envs:\n  prod: {refresh: 0}\n", "key 'envs.prod.refresh' must be between"),
        ("envs:\n  prod: true\n", "envs.prod must be a mapping"),
        ("- a\n- b\n", "settings must be a mapping"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "s.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value).startswith(f"{path}: ")
    assert expected in str(info.value)


def test_unknown_key_lists_valid_keys(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "readonly: true\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(info.value) == (
        f"{path}: unknown key 'readonly'; valid keys: "
        "refresh, theme, keymap, read_only, postgres_dsn, redis_url, prometheus_url,"
        " production_envs, keys, backups, commands, recorder, alerts, engines, envs"
    )


def test_unknown_key_in_env_override(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "envs:\n  prod:\n    production_envs: [x]\n")
    with pytest.raises(ConfigError, match=r"unknown key 'envs\.prod\.production_envs'"):
        load_settings(path)


def test_per_env_override(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.yaml", "refresh: 1\nenvs:\n  prod:\n    read_only: true\n    refresh: 5\n"
    )
    settings = load_settings(path)
    prod = settings.for_env("prod")
    assert (prod.read_only, prod.refresh, prod.theme) == (True, 5.0, "arc-dark")
    assert settings.for_env("PROD").read_only is True  # case-insensitive fallback
    assert settings.for_env("dev") == settings
    assert settings.for_env(None) == settings
    assert settings.read_only is False  # the original is untouched


def test_for_env_validates_overrides_given_in_code() -> None:
    settings = Settings(envs={"prod": {"refresh": "soon"}})
    with pytest.raises(ConfigError, match=r"'envs\.prod\.refresh' must be a number"):
        settings.for_env("prod")


def test_production_detection() -> None:
    settings = Settings()
    assert settings.is_production("prod") is True
    assert settings.is_production("Production") is True
    assert settings.is_production("staging") is False
    assert settings.is_production(None) is False
    assert Settings(production_envs=("live",)).is_production("prod") is False


def test_keys_override_bindings_by_id(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "keys:\n  services.restart: ctrl+r\n  table.down: n,j\n")
    assert dict(load_settings(path).keys) == {"services.restart": "ctrl+r", "table.down": "n,j"}
    assert dict(load_settings(write(tmp_path / "e.yaml", "refresh: 2\n")).keys) == {}


@pytest.mark.parametrize("text", ["keys: [a, b]\n", "keys:\n  services.stop: 3\n", "keys: x\n"])
def test_malformed_keys_name_the_key(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="key 'keys' must be a mapping of binding id"):
        load_settings(write(tmp_path / "s.yaml", text))


# --- messages, non-finite numbers, duplicate keys, size (issue 18.11, 18.12) --------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("backups:\n  keep_days: -1\n", "key 'backups.keep_days' must be a positive"),
        ("backups:\n  keep_days: .inf\n", ":2: invalid YAML: '.inf' is not a finite number"),
        ("backups:\n  rpo_minutes: .nan\n", "'.nan' is not a finite number"),
        (
            "backups:\n  postgres_format: tar\n",
            "'backups.postgres_format' must be custom or sql",
        ),
        ("backups:\n  dir: ''\n", "key 'backups.dir' must be a path, got ''"),
        ("backups:\n  nope: 1\n", "key 'backups.nope' is not a backup setting"),
        ("refresh: .inf\n", "is not a finite number"),
        pytest.param("refresh: " + "9" * 5000 + "\n", "is too long a number", id="5000-digits"),
    ],
)
def test_nested_and_non_finite_values_read_as_one_sentence(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path / "settings.yaml", text))
    assert message in str(err.value)
    assert "must be keep_days" not in str(err.value)  # "must be X must be Y", as it read
    assert str(err.value).count("must be") <= 1


def test_keep_days_infinite_is_refused_even_when_the_loader_allows_it() -> None:
    from arctui.config.settings import _TOP_LEVEL, _VALID_KEYS, _check

    with pytest.raises(ConfigError, match=r"'backups\.keep_days' must be a positive, finite"):
        _check({"backups": {"keep_days": float("inf")}}, _TOP_LEVEL, _VALID_KEYS, "", None)


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("read_only: false\nrefresh: 2\nread_only: true\n", 3, "'read_only' (first on line 1)"),
        ("backups:\n  keep_days: 30\n  keep_days: 7\n", 3, "'keep_days' (first on line 2)"),
        ("envs:\n  prod: {read_only: true}\n  prod: {}\n", 3, "'prod'"),
    ],
)
def test_a_key_given_twice_is_an_error_naming_key_and_line(
    tmp_path: Path, text: str, line: int, key: str
) -> None:
    # A second `read_only: true` silently won before, or a first one silently lost.
    path = write(tmp_path / "settings.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert err.value.line == line
    assert f"duplicate key {key}" in str(err.value)


def test_yaml_merge_keys_may_still_be_overridden(tmp_path: Path) -> None:
    text = "envs:\n  base: &b {refresh: 5, read_only: true}\n  prod:\n    <<: *b\n    refresh: 9\n"
    settings = load_settings(write(tmp_path / "settings.yaml", text))
    assert settings.for_env("prod").refresh == 9.0 and settings.for_env("prod").read_only


def test_a_long_bad_value_is_quoted_short(tmp_path: Path) -> None:
    value = "x" * 1500
    path = write(tmp_path / "settings.yaml", f"read_only: {value}\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    message = str(err.value)
    assert "1,500 characters" in message
    assert len(message) < len(str(path)) + 200
    name = "k" * 3000
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path / "settings.yaml", f"{name}: 1\n"))
    assert len(str(err.value)) < len(str(tmp_path)) + 500


def test_a_settings_file_over_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    from arctui.yamlio import MAX_CONFIG_BYTES

    path = tmp_path / "settings.yaml"
    path.write_text("refresh: 2\n# " + "x" * MAX_CONFIG_BYTES + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="over the 256 KiB limit"):
        load_settings(path)
    path.write_text("refresh: 3\n# " + "x" * (MAX_CONFIG_BYTES - 100) + "\n", encoding="utf-8")
    assert load_settings(path).refresh == 3.0


def test_prometheus_url_is_checked_and_its_password_is_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path / "s.yaml", "prometheus_url: http://ops:Pr0m-s3cret@prom:9090\n")
    settings = load_settings(path)
    assert settings.prometheus_url == "http://ops:Pr0m-s3cret@prom:9090"
    assert "Pr0m-s3cret" in settings.secrets()
    bad = write(tmp_path / "b.yaml", "prometheus_url: ftp://ops:Pr0m-s3cret@prom\n")
    with pytest.raises(ConfigError) as info:
        load_settings(bad)
    assert "Pr0m-s3cret" not in str(info.value) and "http://" in str(info.value)
