"""Error codes of assistant/reports/: every code its errors carry, declared here once.

docs/errors.md lists them with their meaning; tests/test_error_codes.py checks that every code
raised is declared here and documented there."""

from __future__ import annotations

import enum

__all__ = ["MEANINGS", "ReportCode"]


class ReportCode(enum.StrEnum):
    """The error codes of assistant/reports/."""

    REPORT_FORMAT = "report_format"


#: What each code means: the class's meaning, or « the French message the user sees ».
MEANINGS: dict[ReportCode, str] = {
    ReportCode.REPORT_FORMAT: "« Format de rapport inconnu « … » : choisissez .pdf, .html ou .json. »",
}
