"""What the buyer will see: each signature of the deposit verified by the same code as
`assistant verify` (signing.verify), before the company deposits it.

A signature the buyer's check would not accept is a problem of the deposit (an error): better
known now than in a rejection letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509

from assistant.errors import AssistantError
from assistant.i18n import M_, Bilingual, fr_en
from assistant.prepare.checks import Problem, Severity
from assistant.prepare.deposit import SignedFile
from assistant.signing.formats import SignFormat
from assistant.signing.verify import VerificationReport, verify_file


@dataclass(frozen=True)
class BuyerView:
    label: str  # "Lot 1/Offre/BPU.xlsx", or "Lot 2/Annexes.zip › plan.pdf"
    format: SignFormat
    report: VerificationReport | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok

    @property
    def verdict(self) -> str:
        """In the user's language."""
        return self.verdicts.text()

    @property
    def verdicts(self) -> Bilingual:
        """In French and in English (a problem built from it keeps both)."""
        if self.report is None:
            return Bilingual(self.error, self.error) if self.error else Bilingual(*fr_en(M_("Signature absente.")))
        if not self.report.signatures:
            return Bilingual(*fr_en(M_("Aucune signature trouvée.")))
        last = self.report.signatures[-1]  # the signature just made is the last one
        return Bilingual(last.verdict_fr, last.verdict)


def buyer_views(
    files: Sequence[SignedFile],
    *,
    trust_roots: list[x509.Certificate] | None = None,
    allow_fetching: bool = False,
) -> list[BuyerView]:
    """Verify every signed file as the buyer's tool will (the system's anchors when `trust_roots` is None)."""
    views: list[BuyerView] = []
    for item in files:
        if item.signature is None:
            views.append(BuyerView(item.label, item.format, None, item.error.message if item.error else ""))
            continue
        try:
            detached = item.document if item.format is not SignFormat.PADES else None
            report = verify_file(
                item.signature, detached_of=detached, trust_roots=trust_roots, allow_fetching=allow_fetching
            )
        except AssistantError as exc:
            views.append(BuyerView(item.label, item.format, None, exc.message))
            continue
        views.append(BuyerView(item.label, item.format, report))
    return views


def buyer_problems(views: Sequence[BuyerView]) -> list[Problem]:
    out = []
    for view in views:
        if view.ok:
            continue
        reasons = Bilingual("", "")
        if view.report is not None and view.report.signatures:
            found = view.report.signatures[-1].problems
            reasons = Bilingual(" ".join(p.french for p in found), " ".join(p.text for p in found))
        french, english = fr_en(
            M_(
                "{label} : l'acheteur verra « {verdict} » {reasons}",
                label=view.label,
                verdict=view.verdicts,
                reasons=reasons,
            )
        )
        out.append(Problem(Severity.ERROR, "signature_not_accepted", french.strip(), english.strip(), view.label))
    return out
