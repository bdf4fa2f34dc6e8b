"""`assistant verify`: the verification report of a signed PDF or a detached signature."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import UsageError

if TYPE_CHECKING:
    from cryptography import x509


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False
    parser.add_argument("file", type=Path, metavar="FILE", help="PDF signé, ou signature .p7s / .xml")
    parser.add_argument("--detached-of", type=Path, metavar="DATA", help="document signé (signature détachée)")
    parser.add_argument(
        "--trust", type=Path, action="append", metavar="PEM",
        help="autorité de confiance (PEM ; répétable). Par défaut : celles du système",
    )  # fmt: skip
    parser.add_argument("--online", action="store_true", help="autoriser la recherche de révocation en ligne")
    parser.add_argument("--json", action="store_true", help="rapport en JSON")
    parser.add_argument(
        "--report", type=Path, metavar="FICHIER",
        help="enregistrer le rapport (FICHIER.pdf, .html ou .json) pour le dossier du marché",
    )  # fmt: skip
    parser.add_argument(
        "--save-content", action="store_true",
        help="signature attachée : enregistrer le document qu'elle contient à côté d'elle",
    )  # fmt: skip


def load_roots(paths: list[Path] | None) -> list[x509.Certificate] | None:
    """Trust anchors from PEM (one or many certificates) or DER files; None when none given."""
    if not paths:
        return None
    from cryptography import x509

    roots: list[x509.Certificate] = []
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"Lecture impossible : {path}", f"Cannot read: {path}") from exc
        try:
            roots.extend(
                x509.load_pem_x509_certificates(data)
                if b"-----BEGIN" in data
                else [x509.load_der_x509_certificate(data)]
            )
        except ValueError as exc:
            raise UsageError(f"{path} n'est pas un certificat.", f"{path} is not a certificate.") from exc
    return roots


def run(args: argparse.Namespace) -> int:
    import logging

    from assistant.signing.verify import verify_file

    # pyHanko logs an unbuildable chain as a warning with a traceback; the report says it in French.
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)

    roots = load_roots(args.trust)
    if args.report is not None:
        from assistant.reports.write import FORMATS

        if args.report.suffix.lower() not in FORMATS:
            raise UsageError(
                f"Format de rapport inconnu « {args.report.suffix or '(aucun)'} » : choisissez .pdf, .html ou .json.",
                f"Unknown report format '{args.report.suffix or '(none)'}': choose .pdf, .html or .json.",
            )
    report = verify_file(args.file, detached_of=args.detached_of, trust_roots=roots, allow_fetching=args.online)
    if args.report is not None:
        from assistant.signing.verify_document import write_verification_report

        written = write_verification_report(report, args.report)
        print(f"Rapport enregistré : {written}", file=sys.stderr)
    if args.save_content:
        saved = report.save_attached_content()
        print(f"Document contenu dans la signature enregistré : {saved}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0 if report.ok else 1
    print(f"Rapport de vérification : {report.path.name}")
    if report.signed_file is not None:
        print(f"Document signé : {report.signed_file}")
    if report.attached_content is not None:
        print(
            f"Document signé : contenu dans la signature ({len(report.attached_content)} octets ; --save-content l'enregistre)"
        )
    for index, sig in enumerate(report.signatures, start=1):
        mark = "✓" if sig.ok else "✗"
        print()
        print(f"{mark} Signature {index} : {sig.verdict_fr}")
        print(f"  ↳ Signataire : {sig.signer} ({sig.signer_subject})")
        print(f"  ↳ Émetteur du certificat : {sig.issuer}")
        print(f"  ↳ Catégorie du certificat : {sig.category_label}")
        print(f"  ↳ Qualification (eIDAS) : {sig.qualified_label}")
        print(f"  ↳ Format : {sig.format_label}" + (f" ({sig.standard})" if sig.standard else ""))
        if sig.packaging:
            print(f"  ↳ Type : {sig.packaging}")
        if sig.coverage:
            print(f"  ↳ Couvre : {sig.coverage}")
        if sig.claimed_signing_time:
            print(f"  ↳ Date de signature déclarée : {sig.claimed_signing_time:%d/%m/%Y %H:%M:%S %Z}")
        if sig.timestamp_time:
            state = "valide" if sig.timestamp_valid else "NON VALIDE"
            print(f"  ↳ Horodatage : {sig.timestamp_time:%d/%m/%Y %H:%M:%S %Z} ({state})")
        print(f"  ↳ Intégrité du document : {'oui' if sig.intact and sig.signature_valid else 'NON'}")
        print(f"  ↳ Certificat de confiance : {'oui' if sig.trusted else 'non'}")
        print(f"  ↳ Certificat valide à la date de signature : {'oui' if sig.valid_at_signing_time else 'NON'}")
        revocation = {"good": "non révoqué", "revoked": "RÉVOQUÉ", "unknown": "inconnu"}[sig.revocation]
        print(f"  ↳ Révocation : {revocation}")
        if sig.covers_whole_document is False:
            print("  ↳ Attention : le document a été complété après cette signature.")
        for problem in sig.problems:
            print(f"  ↳ Remarque : {problem}")
    return 0 if report.ok else 1
