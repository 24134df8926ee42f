"""`python -m analyzer` runs the siganalyze command."""

from analyzer.cli import entrypoint

entrypoint()
