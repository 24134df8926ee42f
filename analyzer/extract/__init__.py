"""Extractors: from one file's bytes to facts."""
