"""Imports every command module so that each registers itself on ``main``."""

from estate.cli import analyse, audit, explain, validate  # noqa: F401
