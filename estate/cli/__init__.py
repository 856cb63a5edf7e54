"""The ``estate`` command line: a thin shell over the library.

Each command lives in its own module and only parses options, calls the library, prints
and maps :class:`estate.errors.EstateError` to one clear message and an exit code.
"""

from __future__ import annotations

import os
import sys

import click

from estate import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="estate")
def main() -> None:
    """Find duplicate IT systems across department inventories and propose consolidation.

    Start with `estate analyse` on a folder of inventories (CSV, TSV or Excel), then open
    outputs/report.html.
    """


def run() -> None:
    """The ``estate`` executable: :func:`main`, then exit without tearing the heap down.

    A run over a million rows leaves tens of millions of Python objects behind; freeing
    them one by one at exit takes seconds and changes nothing on disk (every output is
    closed by then), so once the output streams are flushed the process just ends.
    """
    from estate.cli.options import exit_without_teardown

    exit_without_teardown()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _register() -> None:
    from estate.cli import commands  # noqa: F401  (each module adds its command to main)


_register()
