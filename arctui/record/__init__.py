"""The flight recorder: samples of what the tabs show, kept in a store, replayed by time."""
