"""Scheduled estate audits: a history of runs, and what changed between two of them.

``estate audit`` analyses the inventories, stores the run (manifest and findings) in a
history folder and compares it with the run before; ``estate diff`` compares any two
stored runs or findings.json files. Both only read findings documents (findings.json),
so runs made by older versions of estate stay comparable.

Public API:

- :func:`run_audit` -> :class:`AuditResult`: one unattended audit (locking, atomic store).
- :func:`diff_findings` -> :class:`FindingsDiff`: compare two findings documents;
  ``FindingsDiff.worse(rules)`` applies the ``--fail-on`` rules in :data:`FAIL_RULES`.
- :func:`load_document`: a findings document from a file, run folder or run reference.
- :class:`History`: the history folder (runs, lock, format check).
- :func:`text_report`, :func:`markdown_report`, :func:`html_section`: the changes as text.
"""

from estate.audit.diff import (DEFAULT_FAIL_ON, FAIL_RULES, Figure, FindingsDiff, GroupChange,
                               QualityChange, diff_findings, headline)
from estate.audit.documents import check_document, load_document
from estate.audit.history import HISTORY_FORMAT, History, HistoryLock, RunRecord
from estate.audit.render import html_section, markdown_report, text_report
from estate.audit.run import AuditResult, check_rules, run_audit

__all__ = [
    "DEFAULT_FAIL_ON", "FAIL_RULES", "HISTORY_FORMAT", "AuditResult", "Figure", "FindingsDiff",
    "GroupChange", "History", "HistoryLock", "QualityChange", "RunRecord", "check_document",
    "check_rules", "diff_findings", "headline", "html_section", "load_document",
    "markdown_report", "run_audit", "text_report",
]
