"""Errors and recorded findings shared by every stage.

A stage raises an :class:`EstateError` only when it cannot go on at all (a file that
cannot be read, a settings file that is not valid). Everything else that is wrong with
the input is recorded as a :class:`Finding` and the run goes on, so a person sees every
problem at once and no row is silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass


class EstateError(Exception):
    """An error that stops a stage; the message is written for the person running estate."""

    stage = "estate"

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: str | None = None) -> None:
        self.file = file
        self.line = line
        self.column = column
        super().__init__(message)

    def __str__(self) -> str:
        where = ", ".join(p for p in (
            self.file,
            f"line {self.line}" if self.line is not None else None,
            f"column {self.column!r}" if self.column else None,
        ) if p)
        base = super().__str__()
        return f"{self.stage}: {where}: {base}" if where else f"{self.stage}: {base}"


class LoadError(EstateError):
    stage = "load"


class SettingsError(EstateError):
    stage = "settings"


class CatalogueError(EstateError):
    stage = "catalogue"


class ReportError(EstateError):
    stage = "report"


class AuditError(EstateError):
    stage = "audit"


SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True, order=True)
class Finding:
    """One recorded problem with the input, located as precisely as the stage knows.

    ``line`` is the 1-based physical line in the file (the header is usually line 1),
    ``column`` the file's own header text, ``value`` the raw text that caused it.
    ``code`` is a short stable identifier (``unparsable-cost``, ``unmapped-column``)
    that reports group by.
    """

    file: str
    line: int | None
    column: str | None
    stage: str
    severity: str
    code: str
    message: str
    department: str | None = None
    value: str | None = None

    def to_dict(self) -> dict:
        return {
            "file": self.file, "line": self.line, "column": self.column,
            "stage": self.stage, "severity": self.severity, "code": self.code,
            "message": self.message, "department": self.department, "value": self.value,
        }
