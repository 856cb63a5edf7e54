"""Run independent pieces of work side by side on the machine's cores.

The report writers only read the findings, so on a machine with more than one core the
graph pages can be written by a forked copy of the process while this one writes the
tables: the copy shares the findings' memory with its parent instead of receiving a
pickled copy of them. Forking is only used on Linux (on macOS the system libraries numpy
may use are not safe to use after a fork; Windows cannot fork). Elsewhere, with one core,
or with ``ESTATE_WORKERS=1``, the work runs here, one piece after the other, and gives the
same result. :func:`split_work` does the same for two halves of one job (normalise matches
half its new texts, the analysis groups half its capability blocks that way),
:func:`map_split` for a list of independent items cut in two by weight (the loader's
files, when ``estate.load.SPLIT_BYTES`` is set), and :class:`Jobs` for pieces of work
that either side may do, taken by whichever is free (the report files besides the pages
and findings.json).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import tempfile
import traceback
from contextlib import suppress
from typing import Callable, Generic, Iterator, Sequence, TypeVar

from estate.memory import keep_frozen

T = TypeVar("T")
A = TypeVar("A")


def workers() -> int:
    """How many pieces of work may run at once: ``ESTATE_WORKERS``, else the usable cores."""
    configured = os.environ.get("ESTATE_WORKERS", "").strip()
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class BackgroundError(RuntimeError):
    """The work done in the background failed; the message carries its traceback."""


class Background(Generic[T]):
    """``function()`` running in a forked child; :meth:`result` waits for what it returned.

    The return value travels back pickled, so it should be small (the paths written, not
    the pages). The child leaves it in a temporary file that is already unlinked (made
    before the fork, so nothing is left behind however either side ends) and exits at
    once: through a pipe, a result larger than the pipe's buffer would keep the child, and
    every page it copied, alive until the parent reads it (at 1M rows, the system tables
    written ahead held 0.8 GB into the report stage that way). An exception in the child
    is re-raised here as the same type when it can be rebuilt, else as
    :class:`BackgroundError` with the child's traceback. ``nice`` lowers the child's
    scheduling priority by that much: for work that should only take the time of a core
    the rest of the run leaves idle.
    """

    def __init__(self, function: Callable[[], T], nice: int = 0) -> None:
        self._value: T | None = None
        self._error: BaseException | None = None
        self._pid = 0
        if not sys.platform.startswith("linux") or workers() < 2:
            self._run_here(function)
            return
        try:
            self._file = _unlinked_file()
        except OSError:  # no temporary folder to write in: the work is done here instead
            self._run_here(function)
            return
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: do the work, leave the outcome, exit at once
            # what it inherited is never collected here: a collection would walk, and so
            # copy, the whole of the parent's heap
            keep_frozen()
            if nice:
                with suppress(OSError):
                    os.nice(nice)
            code = 0
            try:
                payload = pickle.dumps((True, function()), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
                code = 1
                payload = _pickled_error(exc)
            try:
                _write_all(self._file, payload)
            except BaseException:  # noqa: BLE001 - the parent reports a child without result
                code = RESULT_UNWRITTEN
            finally:
                os._exit(code)
        self._pid = pid

    def _run_here(self, function: Callable[[], T]) -> None:
        try:
            self._value = function()
        except BaseException as exc:  # noqa: BLE001 - re-raised by result()
            self._error = exc

    def result(self) -> T:
        """Wait for the work to finish; its return value, or its exception raised here."""
        if self._pid:
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
            try:
                payload = _read_all(self._file) \
                    if os.waitstatus_to_exitcode(status) in (0, 1) else b""
            finally:
                os.close(self._file)
            if not payload:
                self._error = BackgroundError(
                    "the background work ended without a result "
                    f"(exit status {os.waitstatus_to_exitcode(status)})")
            else:
                ok, value = pickle.loads(payload)
                if ok:
                    self._value = value
                else:
                    self._error = value
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the work if it still runs in a child (its result is not wanted)."""
        if self._pid:
            with suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            os.close(self._file)
            self._pid = 0


RESULT_UNWRITTEN = 3
"""The exit code of a child that could not write its result (a full disk, say)."""


def _unlinked_file() -> int:
    """A descriptor of a new temporary file with no name left (gone once it is closed)."""
    descriptor, path = tempfile.mkstemp(prefix="estate-result-")
    try:
        os.unlink(path)
    except OSError:
        os.close(descriptor)
        raise
    return descriptor


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _read_all(descriptor: int) -> bytes:
    size = os.fstat(descriptor).st_size
    data = os.pread(descriptor, size, 0) if size else b""
    while len(data) < size:  # a short read: the rest from where it stopped
        more = os.pread(descriptor, size - len(data), len(data))
        if not more:
            break
        data += more
    return data


class Jobs(Generic[T]):
    """Pieces of work that whichever of two processes is free takes, one at a time: one
    ticket (a byte) per piece in a pipe made, filled and closed for writing before the
    fork. A ticket read by one side is gone for the other; one side takes the pieces from
    the first on, the other (``last=True``) from the last back, each counting its own, so
    with as many tickets as pieces no piece is done twice, and each side starts with the
    pieces it does best. With no fork the one process takes them all."""

    def __init__(self, items: Sequence[T]) -> None:
        self.items = list(items)
        self._front = self._back = 0
        self._read, write = os.pipe()
        try:  # a pipe holds at least 4096 bytes: written whole before anyone reads
            if len(self.items) > 4096:
                raise ValueError("at most 4096 pieces of work")
            os.write(write, b"1" * len(self.items))
        except BaseException:
            os.close(self._read)
            raise
        finally:
            os.close(write)

    def take(self, last: bool = False) -> tuple[bool, T | None]:
        """``(True, piece)`` for the next piece of work not yet taken by either side (from
        the last back when ``last``), or ``(False, None)`` when every piece is taken."""
        if self._read < 0 or os.read(self._read, 1) != b"1":
            return False, None
        if last:
            self._back += 1
            return True, self.items[-self._back]
        self._front += 1
        return True, self.items[self._front - 1]

    def taking(self, last: bool = False) -> Iterator[T]:
        """The pieces this side takes (see :meth:`take`), until none is left."""
        while True:
            taken, item = self.take(last)
            if not taken:
                return
            yield item  # type: ignore[misc]

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run (no ticket left to read)."""
        return self._read < 0

    def close(self) -> None:
        if self._read >= 0:
            os.close(self._read)
            self._read = -1


def _pickled_error(exc: BaseException) -> bytes:
    try:
        payload = pickle.dumps((False, exc), protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(payload)
        return payload
    except Exception:  # noqa: BLE001 - an exception that does not survive pickling
        text = "".join(traceback.format_exception(exc))
        return pickle.dumps((False, BackgroundError(text)))


def map_split(function: Callable[[Sequence[A]], list[T]], items: Sequence[A],
              weights: Sequence[float] | None = None) -> list[T]:
    """``function(items)`` (one result per item), on two cores when there are two.

    The items are cut where their ``weights`` (default: one each) reach half; a forked
    child does the later part while this process does the earlier one, and the child's
    results come back pickled. The list is the same as one call would give, in the same
    order, so ``function`` must treat each item on its own.
    """
    if len(items) < 2 or workers() < 2 or not sys.platform.startswith("linux"):
        return function(items)
    weights = [1.0] * len(items) if weights is None else [max(0.0, w) for w in weights]
    total, reached, cut = sum(weights), 0.0, 1
    for cut, weight in enumerate(weights[:-1], start=1):
        reached += weight
        if reached * 2 >= total:
            break
    first, later = split_work(function, items[:cut], items[cut:])
    return list(first) + list(later)


def split_work(function: Callable[[A], T], here: A, there: A) -> tuple[T, T]:
    """``(function(here), function(there))``, ``there`` worked out by a forked child (see
    :class:`Background`) while this process works out ``here``. When ``here`` fails, the
    child is waited for and this process's error is the one raised."""
    later = Background(lambda: function(there))
    try:
        first = function(here)
    except BaseException:
        with suppress(BaseException):
            later.result()
        raise
    return first, later.result()
