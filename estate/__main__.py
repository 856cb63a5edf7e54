"""``python -m estate``: the same as the ``estate`` command."""

from estate.cli import run

run()
