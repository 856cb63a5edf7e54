"""Options shared by several commands, and the one place library errors become messages."""

from __future__ import annotations

import functools
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import click

from estate.errors import EstateError
from estate.memory import keep_frozen, release_free_memory, unfreeze
from estate.settings import Settings, load_settings

DEFAULT_INVENTORIES = Path("inventories")

_exit_without_teardown = False
_left_for_exit: list = []


def exit_without_teardown() -> None:
    """Called by the ``estate`` executable, which ends the process with ``os._exit``."""
    global _exit_without_teardown
    _exit_without_teardown = True


def keep_until_exit(result: object) -> None:
    """Keep ``result`` alive until the process ends, when the executable will end it
    without tearing the heap down: a million-row analysis is tens of millions of objects,
    and freeing them when the command returns took seconds. Does nothing when the commands
    are called another way (tests, ``CliRunner``), so nothing accumulates there."""
    if _exit_without_teardown:
        _left_for_exit.append(result)


def inventory_paths(command: Callable) -> Callable:
    """``PATH...``: inventory files or folders, ``inventories/`` when none is given."""
    return click.argument(
        "paths", nargs=-1, type=click.Path(path_type=Path),
    )(command)


def settings_options(command: Callable) -> Callable:
    """Options that change the analysis, passed to the command as one ``settings`` object.

    They override the settings file (``--config``, default ./estate.toml when present).
    """
    @functools.wraps(command)
    def with_settings(*args, config, catalogue, mapping, standards, as_of, keep_going,
                      **kwargs):
        kwargs["settings"] = build_settings(config, catalogue=catalogue, mapping=mapping,
                                            standards=standards, as_of=as_of,
                                            keep_going=keep_going)
        return command(*args, **kwargs)

    decorators = [
        click.option("--config", "config", type=click.Path(path_type=Path, dir_okay=False),
                     help="Settings file (estate.toml). Default: ./estate.toml if present."),
        click.option("--catalogue", type=click.Path(path_type=Path, dir_okay=False),
                     help="Your own catalogue CSV, merged over the built-in one."),
        click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
                     help="Header mapping CSV (scope,header,field) for departments' own "
                          "column names."),
        click.option("--standards", type=click.Path(path_type=Path, dir_okay=False),
                     help="Technology standards (tech radar) CSV: capability, product, ring."),
        click.option("--as-of", "as_of", metavar="YYYY-MM-DD",
                     help="Plan migration waves from this date instead of today."),
        click.option("--keep-going", is_flag=True, default=None,
                     help="Analyse the readable inputs even if another cannot be read."),
    ]
    for decorator in reversed(decorators):
        with_settings = decorator(with_settings)
    return with_settings


def quiet_option(command: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True,
                        help="Print nothing but errors (no progress, no summary).")(command)


def resolve_paths(paths: tuple[Path, ...]) -> list[Path]:
    """The inputs a user meant: the given paths, or ./inventories when none is given."""
    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
        return list(paths)
    if DEFAULT_INVENTORIES.is_dir():
        return [DEFAULT_INVENTORIES]
    raise click.ClickException(
        "no PATH given and there is no inventories/ folder here; "
        "run `estate analyse PATH...` with your inventory files or folders")


def build_settings(config: Path | None, **overrides) -> Settings:
    """Settings from ``config`` (or ./estate.toml when present) with options on top."""
    if config is None and Path("estate.toml").is_file():
        config = Path("estate.toml")
    with library_errors():
        return load_settings(config, **overrides)


@contextmanager
def library_errors() -> Iterator[None]:
    """Turn any :class:`EstateError` into one clear ``click.ClickException``."""
    try:
        yield
    except EstateError as exc:
        raise click.ClickException(str(exc)) from None


PIPELINE_STAGES: tuple[str, ...] = ("load", "normalise", "graph", "analyse", "report")


class StageProgress:
    """Times each pipeline stage and shows a progress bar per stage on a terminal.

    It is the command line's hook between stages, so it also moves what each stage made
    into the collector's permanent generation (``gc.freeze``): a one-shot command never
    needs to scan those millions of objects for cycles again.

    Silent in a pipe or with --quiet. Passed to :func:`estate.pipeline.run_analysis` as
    its ``progress`` callback; ``timings`` holds the seconds each stage took, for
    ``--timings``. The display ends when the last stage ends (or on :meth:`close`).
    """

    def __init__(self, quiet: bool, stages: tuple[str, ...] = PIPELINE_STAGES) -> None:
        self.timings: dict[str, float] = {}
        self.stages = stages
        self.display = None
        self.tasks: dict[str, int] = {}
        if not quiet and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import BarColumn, Progress, ProgressColumn, TextColumn
            from rich.text import Text

            class Seconds(ProgressColumn):
                def render(self, task) -> Text:
                    return Text("" if task.elapsed is None else f"{task.elapsed:6.1f}s")

            self.display = Progress(TextColumn("{task.description:<10}"), BarColumn(),
                                    Seconds(), console=Console(stderr=True))
            self.tasks = {stage: self.display.add_task(stage, total=1, start=False)
                          for stage in stages}
            self.display.start()

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        task = self.tasks.get(stage)
        if self.display is not None:
            if task is None:
                task = self.tasks[stage] = self.display.add_task(stage, total=1, start=False)
            self.display.start_task(task)
        try:
            yield
        finally:
            # What a stage leaves behind lives until the process ends: keeping it out of
            # the cyclic collector's scans saves every later stage from re-walking it.
            keep_frozen()
            release_free_memory()
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - started
            if self.display is not None:
                self.display.update(task, completed=1)
                self.display.stop_task(task)
                if stage == self.stages[-1]:
                    self.close()

    def close(self) -> None:
        if self.display is not None:
            self.display.stop()
            self.display = None
        if not _exit_without_teardown:
            # called in-process (tests, CliRunner): what the stages made becomes
            # collectable again; a command about to exit skips the full collection this
            # could start
            unfreeze()

    def write_timings(self, path: Path) -> None:
        import json

        Path(path).write_text(json.dumps(self.timings, indent=2, sort_keys=True) + "\n",
                              encoding="utf-8")


def with_library_errors(command: Callable) -> Callable:
    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        with library_errors():
            return command(*args, **kwargs)
    return wrapper
