"""The Logs tab: merged, filterable, live logs of the whole stack (and `arctui logs`)."""
