"""The ``estate`` command line: a thin shell over the library.

Each command lives in its own module and only parses options, calls the library, prints
and maps :class:`estate.errors.EstateError` to one clear message and an exit code.
"""

from __future__ import annotations

import click

from estate import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="estate")
def main() -> None:
    """Find duplicate IT systems across department inventories and propose consolidation.

    Start with `estate analyse` on a folder of inventories (CSV, TSV or Excel), then open
    outputs/report.html.
    """


def _register() -> None:
    from estate.cli import commands  # noqa: F401  (each module adds its command to main)


_register()
