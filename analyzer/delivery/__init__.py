"""The delivery table: what happens to a signal sent to PID 1, evaluated from a release's own source."""
