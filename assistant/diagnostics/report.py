"""The workstation configuration report: what each check found, in words the user understands.

One report feeds three views: the "Test de configuration" page of the window, `assistant diagnose`
in a terminal, and the bridge's `GET /v1/diagnostics` for the platform's "Tester la configuration de
mon poste" page. A page must not learn the layout of the user's disk, so local details (paths, file
names) live in `details`, which `to_dict(public=True)` leaves out.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import Any

from assistant import PROTOCOL_VERSION, __version__
from assistant.i18n import N_, _


class Status(enum.StrEnum):
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"
    #: The check could not be made here (nothing to test, or no way to test it): neither good nor bad.
    SKIPPED = "skipped"


#: Terminal and window markers, the same ones the platform's configuration test shows.
STATUS_MARK = {Status.OK: "✓", Status.WARNING: "!", Status.ERROR: "✗", Status.SKIPPED: "–"}

STATUS_LABEL_FR = {
    Status.OK: N_("Conforme"),
    Status.WARNING: N_("À surveiller"),
    Status.ERROR: N_("Non conforme"),
    Status.SKIPPED: N_("Non vérifié"),
}


@dataclass(frozen=True)
class CheckResult:
    """One line of the report.

    `label` names the prerequisite ("Accès au magasin de certificats"), `value` is the short answer
    shown beside it ("Magasin accessible"), `message` explains, `remedy` says what to do (empty when
    all is well).
    """

    id: str
    label: str
    status: Status
    value: str
    message: str = ""
    remedy: str = ""
    details: tuple[str, ...] = ()

    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "label": self.label,
            "status": self.status.value,
            "value": self.value,
            "message": self.message,
            "remedy": self.remedy,
        }
        if not public:
            data["details"] = list(self.details)
        return data


def not_checked(check_id: str, label: str, why: str, remedy: str = "", details: tuple[str, ...] = ()) -> CheckResult:
    """A line the test could not run: said as such, with why, rather than passed as conforming."""
    return CheckResult(check_id, label, Status.SKIPPED, _(STATUS_LABEL_FR[Status.SKIPPED]), why, remedy, details)


SUMMARY_OK = N_("La configuration de votre poste utilisateur respecte les prérequis techniques de la plateforme.")
SUMMARY_WARNING = N_(
    "La configuration de votre poste utilisateur respecte les prérequis techniques, avec des points à surveiller."
)
SUMMARY_ERROR = N_("La configuration de votre poste utilisateur ne respecte pas tous les prérequis techniques.")


@dataclass
class DiagnosticReport:
    checks: list[CheckResult] = field(default_factory=list)
    platform_url: str | None = None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    duration_s: float = 0.0

    @property
    def status(self) -> Status:
        statuses = {check.status for check in self.checks}
        if Status.ERROR in statuses:
            return Status.ERROR
        if Status.WARNING in statuses:
            return Status.WARNING
        return Status.OK

    @property
    def summary(self) -> str:
        return {Status.ERROR: _(SUMMARY_ERROR), Status.WARNING: _(SUMMARY_WARNING)}.get(self.status, _(SUMMARY_OK))

    def get(self, check_id: str) -> CheckResult | None:
        return next((check for check in self.checks if check.id == check_id), None)

    def to_dict(self, *, public: bool = False) -> dict[str, Any]:
        """JSON-ready form. `public=True` is what a web page may see: no local paths or file names."""
        return {
            "assistant_version": __version__,
            "protocol_version": PROTOCOL_VERSION,
            "generated_at": self.started_at.isoformat(timespec="seconds"),
            "duration_s": round(self.duration_s, 3),
            "platform_url": self.platform_url,
            "status": self.status.value,
            "summary": self.summary,
            "checks": [check.to_dict(public=public) for check in self.checks],
        }

    def to_text(self, *, verbose: bool = False) -> str:
        """The terminal form: one ✓/✗ line per prerequisite, the remedy under each problem."""
        lines = [_("Test de la configuration de votre poste"), ""]
        width = max((len(check.label) for check in self.checks), default=0)
        for check in self.checks:
            lines.append(f"{STATUS_MARK[check.status]} {check.label.ljust(width)} : {check.value}")
            if check.status in (Status.ERROR, Status.WARNING):
                if check.message:
                    lines.append(f"    {check.message}")
                if check.remedy:
                    lines.append(f"    → {check.remedy}")
            if verbose:
                lines.extend(f"    · {detail}" for detail in check.details)
        lines += ["", _("Résultat : {summary}").format(summary=self.summary)]
        return "\n".join(lines)
