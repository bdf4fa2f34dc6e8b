"""Workstation configuration test ("Test de la configuration utilisateur")."""

from __future__ import annotations

from assistant.jobs.context import JobContext
from assistant.jobs.params import DiagnoseParams
from assistant.jobs.results import DiagnoseResult


def run(ctx: JobContext, params: DiagnoseParams) -> DiagnoseResult:
    from assistant.diagnostics.runner import run_diagnostics

    report = run_diagnostics(ctx.settings, platform_url=params.platform_url, progress=ctx.progress, cancel=ctx.cancel)
    return DiagnoseResult(report=report.to_dict(public=not ctx.job.is_local), full_report=report.to_dict())
