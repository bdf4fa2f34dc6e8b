"""Runs every check in order, reporting progress as "Test 3 sur 9 : Accès au magasin de certificats"."""

from __future__ import annotations

import time
from collections.abc import Callable

from assistant.diagnostics import checks, local_network, network
from assistant.diagnostics.report import CheckResult, DiagnosticReport, not_checked
from assistant.i18n import _
from assistant.progress import CancelToken, Phase, ProgressCallback, ProgressUpdate, ignore_progress
from assistant.settings import Settings

Step = tuple[str, str, Callable[[], list[CheckResult]]]


def _steps(settings: Settings, platform_url: str | None) -> list[Step]:
    steps: list[Step] = [
        ("os", checks.LABEL_OS, checks.check_os),
        ("assistant", checks.LABEL_ASSISTANT, checks.check_assistant),
        ("runtime", checks.LABEL_RUNTIME, checks.check_runtime),
        ("stores", checks.LABEL_STORES, lambda: checks.check_stores(settings)),
        ("pkcs12", checks.LABEL_PKCS12, lambda: checks.check_pkcs12(settings)),
        ("certificates", checks.LABEL_CERTIFICATES, lambda: checks.check_certificates(settings)),
        ("browsers", checks.LABEL_BROWSERS, checks.check_browsers),
        ("bridge_trust", checks.LABEL_BRIDGE_TRUST, checks.check_bridge_trust),
        ("local_network", local_network.LABEL, lambda: local_network.check_local_network(platform_url)),
    ]
    if platform_url:
        steps.append(
            (
                "net_http",
                network.LABEL_HTTP,
                lambda: network.check_platform(platform_url, extra_ca_files=settings.platform_ca_files),
            )
        )
    else:
        steps.append(("net_http", network.LABEL_HTTP, _no_platform))
    return steps


def _no_platform() -> list[CheckResult]:
    return [
        not_checked(
            "net_http",
            _(network.LABEL_HTTP),
            _("Aucune adresse de plateforme n'a été indiquée pour tester la communication."),
            _("Indiquez l'adresse de votre plateforme (par exemple https://marches.example.fr) et relancez le test."),
        )
    ]


def run_diagnostics(
    settings: Settings | None = None,
    *,
    platform_url: str | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> DiagnosticReport:
    """The workstation configuration test, shared by the window, `assistant diagnose` and the bridge."""
    settings = settings or Settings.load()
    report = DiagnosticReport(platform_url=platform_url or None)
    started = time.perf_counter()
    steps = _steps(settings, platform_url)
    for index, (check_id, label_fr, func) in enumerate(steps, start=1):
        label = _(label_fr)  # the labels are marked N_(): translated when the check runs
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(
            ProgressUpdate(
                step=index - 1, steps=len(steps), phase=Phase.CHECK, item=index, items=len(steps), subject=label
            )
        )
        report.checks.extend(checks.guarded(check_id, label, func))
    progress(ProgressUpdate(step=len(steps), steps=len(steps), phase=Phase.CHECKS_DONE))
    report.duration_s = time.perf_counter() - started
    return report
