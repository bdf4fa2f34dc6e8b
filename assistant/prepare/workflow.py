"""The whole "Préparer mon dépôt" run, shared by `assistant prepare` and the UI page:
problems found before signing, the bid signed with one PIN, the buyer's view of every signature,
the problems after signing, and the one-page summary beside the deposit folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509

from assistant.i18n import _
from assistant.keystores.base import Credential
from assistant.prepare.buyer import BuyerView, buyer_problems, buyer_views
from assistant.prepare.checks import Problem, Severity, find_problems
from assistant.prepare.deposit import DepositResult, SignedFile, sign_bid
from assistant.prepare.estimate import UploadEstimate, Verdict
from assistant.prepare.plan import BidPlan
from assistant.prepare.summary import summary_document, summary_path, write_summary
from assistant.progress import CancelToken, ProgressCallback, ignore_progress
from assistant.signing.stamp import VisibleSignature


@dataclass
class PrepareOutcome:
    plan: BidPlan
    result: DepositResult
    views: list[BuyerView] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    estimate: UploadEstimate | None = None
    summary: Path | None = None
    #: The buyer's verification report of each signature (PDF, the `assistant verify` document).
    reports: Path | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok and all(v.ok for v in self.views) and not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


def estimate_problems(estimate: UploadEstimate | None) -> list[Problem]:
    if estimate is None or estimate.verdict in (Verdict.OK, Verdict.NO_DEADLINE):
        return []
    severity = Severity.ERROR if estimate.verdict is Verdict.TOO_LATE else Severity.WARNING
    return [Problem(severity, f"upload_{estimate.verdict.value}", estimate.message_fr, estimate.message_en)]


def prepare_deposit(
    plan: BidPlan,
    credential: Credential,
    destination: Path,
    *,
    visible: VisibleSignature | None = None,
    level: str = "B-B",
    tsa_url: str | None = None,
    trust_roots: list[x509.Certificate] | None = None,
    estimate: UploadEstimate | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
) -> PrepareOutcome:
    """Sign, verify as the buyer, list what is wrong and write the summary (nothing published on failure)."""
    views: list[BuyerView] = []

    def verify(files: list[SignedFile]) -> None:
        views.extend(buyer_views(files, trust_roots=trust_roots))

    result = sign_bid(
        plan,
        credential,
        destination,
        visible=visible,
        level=level,
        tsa_url=tsa_url,
        progress=progress,
        cancel=cancel,
        after_signing=verify,
    )
    problems = find_problems(plan, certificate=credential.certificate) + estimate_problems(estimate)
    problems += buyer_problems(views)
    outcome = PrepareOutcome(plan, result, views, problems, estimate)
    if result.folder is not None:
        document = summary_document(plan, result, views, problems, estimate=estimate)
        outcome.summary = write_summary(document, summary_path(result.folder))
        outcome.reports = write_buyer_reports(
            views, result.folder.parent / _("{name} - rapports de vérification").format(name=result.folder.name)
        )
    return outcome


def write_buyer_reports(views: list[BuyerView], folder: Path) -> Path | None:
    """One PDF per signature, the report `assistant verify --report` writes, named after the file."""
    from assistant.signing.verify_document import write_verification_report

    reports = [v for v in views if v.report is not None]
    if not reports:
        return None
    folder.mkdir(exist_ok=True)
    for view in reports:
        assert view.report is not None
        name = view.label.replace(" › ", " - ").replace("/", " - ")
        write_verification_report(view.report, folder / f"{name[:150]} - rapport.pdf")
    return folder
