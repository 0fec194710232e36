"""arctui: a terminal console for operating the A.R.C. docker-compose platform."""

import logging

__version__ = "0.1.0"

# Records go to the log file once the TUI installs it (arctui/sources/diag_log.py), never to the
# terminal: without a handler, logging's last resort would print warnings to stderr.
logging.getLogger(__name__).addHandler(logging.NullHandler())
