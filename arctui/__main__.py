"""`python -m arctui`."""

from arctui.cli import main

raise SystemExit(main())
