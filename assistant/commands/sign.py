"""`assistant sign`: sign files in PAdES, CAdES or XAdES from the command line.

The PIN or password never comes from the command line (it would sit in the shell history and in
`ps`): it comes from an environment variable named by `--pin-env`, or from a prompt on the
terminal. The summary mirrors the original assistant's confirmation screen.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.commands.terminal import make_pin_callback, open_key
from assistant.errors import AssistantError
from assistant.i18n import _
from assistant.progress import ProgressUpdate
from assistant.signing.batch import BatchResult, FileResult, sign_files
from assistant.signing.formats import LEVELS, SignFormat
from assistant.ui.labels import progress_label


def configure(parser: argparse.ArgumentParser) -> None:
    # "--pin 1234" must not silently abbreviate "--pin-env": there is no way to give a PIN in argv.
    parser.allow_abbrev = False
    parser.add_argument("--format", required=True, choices=[f.value for f in SignFormat], help=_("format de signature"))
    parser.add_argument(
        "--level",
        default="B-B",
        choices=LEVELS,
        help=_(
            "niveau : B-B (défaut), B-T (horodaté), B-LT (données de révocation incluses), B-LTA (plus un horodatage d'archive)"
        ),
    )
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="PEM",
        help=_("autorité de confiance pour B-LT/B-LTA (PEM ; répétable). Par défaut : celles du système"),
    )
    parser.add_argument("--tsa", metavar="URL", help=_("service d'horodatage RFC 3161 (défaut : paramètres)"))
    parser.add_argument(
        "--key",
        required=True,
        metavar="KEY",
        help=_("URI PKCS#11 (pkcs11:…), chemin d'un fichier .p12/.pfx, ou sha256:<empreinte du certificat>"),
    )
    parser.add_argument("--pin-env", metavar="VAR", help=_("nom de la variable d'environnement contenant le code PIN"))
    parser.add_argument("--out-dir", metavar="DIR", type=Path, help=_("dossier des fichiers générés (défaut : à côté)"))
    parser.add_argument("--json", action="store_true", help=_("une ligne JSON par fichier source"))
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help=_("fichiers à signer"))


# -- output -----------------------------------------------------------------------------------


class _ProgressPrinter:
    """One line per file on stderr ("Signature du fichier 5 sur 8 : offre.pdf")."""

    def __init__(self) -> None:
        self._last = ""

    def __call__(self, update: ProgressUpdate) -> None:
        if not update.element or update.bytes_total:
            return
        line = f"{progress_label(update)} : {update.element}"
        if line != self._last:
            self._last = line
            print(line, file=sys.stderr, flush=True)


def print_summary(batch: BatchResult) -> None:
    total = len(batch.results)
    if batch.ok:
        print(_("✓ La signature électronique des fichiers sélectionnés s'est terminée avec succès."))
    else:
        print(_("✗ La signature électronique de certains fichiers a échoué."))
    print(_("- Nombre de fichiers à signer : {total}").format(total=total))
    print(_("- Nombre de fichiers signés avec succès : {signed}").format(signed=batch.signed))
    print()
    print(_("Fichier(s) généré(s)"))
    for result in batch.results:
        mark = "✓" if result.ok else "✗"
        print(_("{mark} Fichier source : {name}").format(mark=mark, name=result.source.name))
        print(_("  ↳ Format de signature : {label}").format(label=result.format.label))
        if result.output is not None:
            print(_("  ↳ Fichier généré : {name}").format(name=result.output.name))
            print(_("  ↳ Répertoire de destination : {parent}").format(parent=result.output.parent))
        for warning in result.warnings:
            print(_("  ↳ Attention : {warning}").format(warning=warning))
        if result.error is not None:
            print(_("  ↳ Erreur : {message}").format(message=result.error.message))


def run(args: argparse.Namespace) -> int:
    fmt = SignFormat(args.format)
    try:
        batch = _sign(args, fmt)
    except AssistantError as exc:
        if not args.json:
            raise  # cli.py prints it in French
        # JSON readers get one object per source file whatever went wrong, never a bare message.
        batch = BatchResult([FileResult(Path(f), fmt, error=exc) for f in args.files])
    if args.json:
        for result in batch.results:
            print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print_summary(batch)
    return 0 if batch.ok else 1


def _sign(args: argparse.Namespace, fmt: SignFormat) -> BatchResult:
    from assistant.commands.verify import load_roots
    from assistant.keystores.selection import release
    from assistant.settings import Settings

    tsa_url = args.tsa or (Settings.load().tsa_url if args.level != "B-B" else None) or None
    trust_roots = load_roots(args.trust)
    pin_callback = make_pin_callback(args.pin_env)
    credential = open_key(args.key, pin_callback)
    try:
        return sign_files(
            credential,
            [Path(f) for f in args.files],
            fmt,
            level=args.level,
            tsa_url=tsa_url,
            out_dir=args.out_dir,
            trust_roots=trust_roots,
            progress=_ProgressPrinter() if not args.json else _ignore,
        )
    finally:
        release(credential)  # log out of the card at the end of the batch


def _ignore(update: ProgressUpdate) -> None:
    pass
