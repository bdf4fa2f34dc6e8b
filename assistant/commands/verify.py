"""`assistant verify`: the verification report of a signed PDF or a detached signature."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import UsageError
from assistant.i18n import M_, _

if TYPE_CHECKING:
    from cryptography import x509

    from assistant.signing.verify import VerificationReport


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False
    parser.add_argument(
        "files", type=Path, nargs="+", metavar=_("FICHIER"), help=_("PDF signé, ou signature .p7s / .p7m / .xml")
    )
    parser.add_argument(
        "--detached-of", type=Path, metavar=_("DOCUMENT"), help=_("document signé (signature détachée)")
    )
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="PEM",
        help=_("autorité de confiance (PEM ; répétable). Par défaut : celles du système"),
    )
    parser.add_argument("--online", action="store_true", help=_("autoriser la recherche de révocation en ligne"))
    parser.add_argument("--json", action="store_true", help=_("rapport en JSON"))
    parser.add_argument(
        "--report",
        type=Path,
        metavar=_("FICHIER"),
        help=_("enregistrer le rapport (FICHIER.pdf, .html ou .json) pour le dossier du marché"),
    )
    parser.add_argument(
        "--save-content",
        action="store_true",
        help=_("signature attachée : enregistrer le document qu'elle contient à côté d'elle"),
    )


def load_roots(paths: list[Path] | None) -> list[x509.Certificate] | None:
    """Trust anchors from PEM (one or many certificates) or DER files; None when none given."""
    if not paths:
        return None
    from assistant.signing.anchors import load_certificates

    return load_certificates(paths)


def run(args: argparse.Namespace) -> int:
    import logging

    # pyHanko logs an unbuildable chain as a warning with a traceback; the report says it in French.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

    roots = load_roots(args.trust)
    if args.report is not None:
        from assistant.reports.write import FORMATS

        if args.report.suffix.lower() not in FORMATS:
            raise UsageError(
                M_(
                    "Format de rapport inconnu « {suffix} » : choisissez .pdf, .html ou .json.",
                    suffix=args.report.suffix or M_("(aucun)"),
                )
            )
    if len(args.files) > 1 and (args.detached_of or args.report or args.save_content):
        raise UsageError(
            M_("--detached-of, --report et --save-content s'appliquent à une seule signature à la fois."),
        )
    if len(args.files) == 1:
        return _verify_one(args, roots)
    # Several files in one run: what a buyer does with a whole bid; the trust anchors, trusted
    # lists and libraries are loaded once, and the files shared between the cores
    # (assistant.signing.verify_many). A file that cannot be read is said, the others are still verified.
    from assistant.signing.verify_many import verify_many

    reports: list[dict[str, object]] = []
    all_ok = True
    for outcome in verify_many(args.files, trust_roots=roots, allow_fetching=args.online):
        all_ok = all_ok and outcome.ok
        if outcome.error is not None:
            reports.append({"file": str(outcome.path), "ok": False, "error": outcome.error.to_dict()})
            if not args.json:
                print(f"✗ {outcome.path.name} : {outcome.error.message}")
            continue
        report = outcome.report
        assert report is not None
        if args.json:
            reports.append(report)
        else:
            mark = "✓" if outcome.ok else "✗"
            signatures = report["signatures"]
            labels = ", ".join(sorted({s["format_label"] for s in signatures}))
            print(f"{mark} {outcome.path.name} : {labels} — " + "; ".join(s["verdict"] for s in signatures))
    if args.json:
        print(json.dumps({"ok": all_ok, "reports": reports}, ensure_ascii=False, indent=2))
    return 0 if all_ok else 1


def _verify_one(args: argparse.Namespace, roots: list[x509.Certificate] | None) -> int:
    from assistant.signing.verify import verify_file

    report = verify_file(args.files[0], detached_of=args.detached_of, trust_roots=roots, allow_fetching=args.online)
    if args.report is not None:
        from assistant.signing.verify_document import write_verification_report

        written = write_verification_report(report, args.report)
        print(_("Rapport enregistré : {path}").format(path=written), file=sys.stderr)
    if args.save_content:
        saved = report.save_attached_content()
        print(_("Document contenu dans la signature enregistré : {path}").format(path=saved), file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    _print_report(report)
    return 0 if report.ok else 1


def _yes(value: bool) -> str:
    return _("oui") if value else _("NON")


def _print_report(report: VerificationReport) -> None:
    from assistant.signing.verify_document import archive_timestamp_text

    print(_("Rapport de vérification : {name}").format(name=report.path.name))
    if report.signed_file is not None:
        print(_("Document signé : {path}").format(path=report.signed_file))
    if report.attached_content is not None:
        print(
            _("Document signé : contenu dans la signature ({size} octets ; --save-content l'enregistre)").format(
                size=len(report.attached_content)
            )
        )
    from assistant.signing.findings import packaging_label

    revocations = {"good": _("non révoqué"), "revoked": _("RÉVOQUÉ"), "unknown": _("inconnu")}
    for index, sig in enumerate(report.signatures, start=1):
        print()
        print(
            _("{mark} Signature {index} : {verdict}").format(
                mark="✓" if sig.ok else "✗", index=index, verdict=sig.verdict
            )
        )
        rows = [
            (_("Signataire"), f"{sig.signer} ({sig.signer_subject})"),
            (_("Émetteur du certificat"), sig.issuer),
            (_("Catégorie du certificat"), sig.category_label),
            (_("Qualification (eIDAS)"), sig.qualified_label),
            (_("Format"), sig.format_label + (f" ({sig.standard})" if sig.standard else "")),
        ]
        if sig.packaging:
            rows.append((_("Type"), packaging_label(sig.packaging)))
        if sig.coverage:
            rows.append((_("Couvre"), sig.coverage))
        if sig.claimed_signing_time:
            rows.append((_("Date de signature déclarée"), f"{sig.claimed_signing_time:%d/%m/%Y %H:%M:%S %Z}"))
        if sig.timestamp_time:
            state = _("valide") if sig.timestamp_valid else _("NON VALIDE")
            rows.append((_("Horodatage"), f"{sig.timestamp_time:%d/%m/%Y %H:%M:%S %Z} ({state})"))
        for stamp in sig.archive_timestamps:
            rows.append((_("Horodatage d'archive"), archive_timestamp_text(stamp.to_dict())))
        rows += [
            (_("Intégrité du document"), _yes(sig.intact and sig.signature_valid)),
            (_("Certificat de confiance"), _("oui") if sig.trusted else _("non")),
            (_("Certificat valide à la date de signature"), _yes(sig.valid_at_signing_time)),
            (_("Révocation"), revocations.get(sig.revocation, sig.revocation)),
        ]
        for label, value in rows:
            print("  ↳ " + _("{label} : {value}").format(label=label, value=value))
        if sig.covers_whole_document is False and not sig.coverage:
            print("  ↳ " + _("Attention : le document a été complété après cette signature."))
        for problem in sig.problems:
            print("  ↳ " + _("{label} : {value}").format(label=_("Remarque"), value=problem.text))
