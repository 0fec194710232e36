"""arctui: a terminal console for operating the A.R.C. docker-compose platform."""

__version__ = "0.1.0"

# Logging is set up when something logs (arctui/lazylog.py: the package logger's
# NullHandler, so records never reach the terminal), not here: `status` logs nothing.
