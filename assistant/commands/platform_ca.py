"""`assistant platform-ca list|add|remove`: certificate authorities added for platforms.

For IT: an enterprise CA, or the CA of a TLS-inspecting proxy, that the workstation's system
roots do not hold. What is added here is trusted for platforms *in addition* to the system roots
(downloads, online opening, descriptors, uploads, the workstation test); a page can never add one.
A file is accepted only if it holds certificates that can be loaded as trust anchors, and the
command shows what it holds (subject, SHA-256 fingerprint, end of validity) so the person adding
it can compare with what their IT department published. The running assistant reads the setting
when it starts: restart it after a change.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import UsageError
from assistant.i18n import M_, _
from assistant.settings import Settings


@dataclass(frozen=True)
class CaFileSummary:
    path: str
    certificates: list[dict[str, str]]
    problem: str = ""


def _summary(path: str) -> CaFileSummary:
    """What the file holds, or why it cannot be used (in French)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    from assistant.tls import CaFileError, tls_context

    try:
        tls_context([path])  # exactly what the transfers will do with it
        data = Path(path).read_bytes()
    except CaFileError as exc:
        return CaFileSummary(path, [], str(exc.reason))
    except OSError as exc:
        return CaFileSummary(path, [], exc.strerror or str(exc))
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError:
        try:
            certificates = [x509.load_der_x509_certificate(data)]
        except ValueError:
            return CaFileSummary(path, [], _("ce n'est pas un certificat PEM lisible"))
    out = []
    for cert in certificates:
        try:
            is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
        except x509.ExtensionNotFound:
            is_ca = False
        out.append(
            {
                "subject": cert.subject.rfc4514_string(),
                "sha256": cert.fingerprint(hashes.SHA256()).hex(":").upper(),
                "not_after": cert.not_valid_after_utc.strftime("%d/%m/%Y"),
                "ca": "oui" if is_ca else "non",
            }
        )
    return CaFileSummary(path, out)


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    listing = sub.add_parser("list", help=_("lister les autorités ajoutées pour les plateformes"))
    listing.add_argument("--json", action="store_true", help=_("sortie JSON"))
    add = sub.add_parser("add", help=_("ajouter le certificat d'une autorité (fichier PEM)"))
    add.add_argument("file", type=Path)
    remove = sub.add_parser("remove", help=_("retirer une autorité ajoutée"))
    remove.add_argument("file", type=Path)


def _print(summary: CaFileSummary) -> None:
    print(summary.path)
    if summary.problem:
        print(_("  inutilisable : {problem}").format(problem=summary.problem))
    for cert in summary.certificates:
        print(f"  {cert['subject']}")
        print(_("    empreinte SHA-256 : {sha256}").format(sha256=cert["sha256"]))
        print(
            _("    valide jusqu'au {not_after} · autorité de certification : {ca}").format(
                not_after=cert["not_after"], ca=cert["ca"]
            )
        )


def run(args: argparse.Namespace) -> int:
    settings = Settings.load()
    files = list(settings.platform_ca_files)
    if args.action == "list":
        summaries = [_summary(path) for path in files]
        if args.json:
            print(
                json.dumps(
                    [{"path": s.path, "problem": s.problem, "certificates": s.certificates} for s in summaries],
                    ensure_ascii=False,
                    indent=2,
                )
            )
        elif not summaries:
            print(_("Aucune autorité ajoutée : les plateformes sont vérifiées avec les autorités du système."))
        else:
            for summary in summaries:
                _print(summary)
        return 0
    # Absolute, but links kept: when IT replaces the file a link points to, the setting follows.
    path = os.path.abspath(args.file.expanduser())
    if args.action == "add":
        summary = _summary(path)
        if summary.problem:
            raise UsageError(
                M_(
                    "Autorité refusée : « {file} » — {problem}. Rien n'a été modifié.",
                    file=args.file,
                    problem=summary.problem,
                )
            )
        if path not in files:
            settings = Settings.load()  # read again just before writing: keep changes made meanwhile
            settings.platform_ca_files = [*settings.platform_ca_files, path]
            settings.save()
        print(_("Autorité ajoutée pour les plateformes (en plus de celles du système) :"))
        _print(summary)
        print(_("Redémarrez l'assistant s'il est ouvert pour qu'il en tienne compte."))
        return 0
    matches = [f for f in files if f == path or f == str(args.file)]
    if not matches:
        print(_("Cette autorité n'était pas ajoutée : {file}").format(file=args.file))
        return 1
    settings.platform_ca_files = [f for f in files if f not in matches]
    settings.save()
    print(_("Autorité retirée : {path}").format(path=matches[0]))
    return 0
