"""The workstation configuration test ("Tester la configuration de mon poste").

Shared by the window's "Test de configuration" page, `assistant diagnose` and the bridge's
`GET /v1/diagnostics`. No Qt here.
"""

from assistant.diagnostics.report import CheckResult, DiagnosticReport, Status
from assistant.diagnostics.runner import run_diagnostics

__all__ = ["CheckResult", "DiagnosticReport", "Status", "run_diagnostics"]
