"""Configuration: user settings (XDG), env-file layering with provenance, secret masking,
and where the compose project is.

Never imports Textual: the headless CLI and `ops/` use all of it. Import the submodules
(`arctui.config.settings`, `.envfiles`, `.masking`, `.project`) directly: this package
imports none of them, so reading the settings does not load the env and compose parsers.
"""
