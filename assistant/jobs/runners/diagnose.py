"""Workstation configuration test ("Test de la configuration utilisateur")."""

from __future__ import annotations

from assistant.jobs.engine import JobContext, RunnerResult


def run(ctx: JobContext) -> RunnerResult:
    from assistant.diagnostics.runner import run_diagnostics

    report = run_diagnostics(ctx.settings, platform_url=ctx.params.get("platform_url"), progress=ctx.progress, cancel=ctx.cancel)
    return RunnerResult(report.to_dict(public=not ctx.job.is_local), {"report": report.to_dict()})
