"""Configuration: user settings (XDG), env-file layering with provenance, secret masking,
and where the compose project is.

Never imports Textual: the headless CLI and `ops/` use all of it.
"""

from arctui.config.envfiles import EnvLayers, env_layers, read_env_file
from arctui.config.errors import ConfigError
from arctui.config.masking import MASK, Redactor, is_secret_key, mask_value
from arctui.config.project import ProjectSpec, discover_compose_files, resolve_project
from arctui.config.settings import (
    Settings,
    config_dir,
    load_settings,
    settings_path,
    state_dir,
)

__all__ = [
    "MASK",
    "ConfigError",
    "EnvLayers",
    "ProjectSpec",
    "Redactor",
    "Settings",
    "config_dir",
    "discover_compose_files",
    "env_layers",
    "is_secret_key",
    "load_settings",
    "mask_value",
    "read_env_file",
    "resolve_project",
    "settings_path",
    "state_dir",
]
