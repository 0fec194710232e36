"""arctui: a terminal console for operating the A.R.C. docker-compose platform."""

__version__ = "0.1.0"
