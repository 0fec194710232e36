"""The Redis tab's view. This package's __init__ imports nothing: presenters.py is pure and
the headless CLI uses it without loading Textual."""
