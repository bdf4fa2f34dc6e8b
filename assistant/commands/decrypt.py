"""`assistant decrypt`: open envelopes (files, or every envelope under downloaded folders) offline.

Several `--key` may be given (a personal bi-clé and the "bi-clé de secours"): each envelope is
opened with whichever is among its recipients. The PIN comes from `--pin-env` or a prompt.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assistant.commands.terminal import make_pin_callback, open_key
from assistant.envelopes.errors import EnvelopeCode
from assistant.envelopes.folder import EnvelopeOutcome, decrypt_paths
from assistant.i18n import _
from assistant.keystores.base import Credential
from assistant.progress import ProgressUpdate
from assistant.ui.labels import progress_label
from assistant.units import format_size


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False
    parser.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar=_("ENVELOPPE_OU_DOSSIER"),
        help=_("enveloppes chiffrées, ou dossiers téléchargés (toutes les enveloppes qu'ils contiennent)"),
    )
    parser.add_argument(
        "--key",
        action="append",
        required=True,
        metavar="KEY",
        help=_("bi-clé : URI PKCS#11 (pkcs11:…), fichier .p12/.pfx, sha256:<empreinte> ou vault:<nom> (répétable)"),
    )
    parser.add_argument("--pin-env", metavar="VAR", help=_("variable d'environnement du code PIN ou mot de passe"))
    parser.add_argument("--out-dir", metavar="DIR", type=Path, required=True, help=_("dossier des fichiers déchiffrés"))
    parser.add_argument("--no-extract", action="store_true", help=_("ne pas extraire les archives ZIP déchiffrées"))
    parser.add_argument("--json", action="store_true", help=_("une ligne JSON par enveloppe"))


class _TerminalProgress:
    """One line per envelope, and a percentage for the long ones, on stderr."""

    def __init__(self) -> None:
        self._step = -1
        self._percent = -1

    def __call__(self, update: ProgressUpdate) -> None:
        label = progress_label(update)
        if update.step != self._step and label:
            self._step = update.step
            self._percent = -1
            suffix = f" : {update.element}" if update.element else ""
            print(f"{label}{suffix}", file=sys.stderr, flush=True)
        if update.bytes_total > 256 << 20:
            percent = int(100 * update.bytes_done / update.bytes_total)
            if percent // 10 != self._percent // 10:
                self._percent = percent
                print(f"  {percent} %", file=sys.stderr, flush=True)


def print_outcome(outcome: EnvelopeOutcome) -> None:
    if outcome.ok and outcome.result is not None:
        r = outcome.result
        print(f"✓ {outcome.source}")
        print(_("  ↳ Fichier déchiffré : {output} ({size})").format(output=r.output, size=format_size(r.size)))
        print(
            _("  ↳ Chiffrement : {algorithm}, {key_transport}").format(
                algorithm=r.algorithm, key_transport=r.key_transport
            )
        )
        if outcome.extracted_to is not None:
            print(
                _("  ↳ {count} fichier(s) extrait(s) dans : {extracted_to}").format(
                    count=len(outcome.files), extracted_to=outcome.extracted_to
                )
            )
    else:
        print(f"✗ {outcome.source}")
        assert outcome.error is not None
        print(_("  ↳ Erreur : {message}").format(message=outcome.error.message))
        if outcome.error.code in (EnvelopeCode.UNSAFE_ARCHIVE, EnvelopeCode.CORRUPT_ARCHIVE):
            print(_("  ↳ L'archive n'a pas été conservée ; relancez avec --no-extract pour l'obtenir telle quelle."))


def run(args: argparse.Namespace) -> int:
    from assistant.keystores.selection import release

    pin_callback = make_pin_callback(args.pin_env)
    credentials: list[Credential] = []
    try:
        for spec in args.key:
            credentials.append(open_key(spec, pin_callback))
        args.out_dir.mkdir(parents=True, exist_ok=True)
        outcomes = decrypt_paths(
            [Path(p) for p in args.paths],
            credentials,
            args.out_dir,
            extract=not args.no_extract,
            progress=_TerminalProgress() if not args.json else _ignore,
        )
    finally:
        for credential in credentials:
            release(credential)
    ok = sum(1 for o in outcomes if o.ok)
    if args.json:
        for outcome in outcomes:
            print(json.dumps(outcome.to_dict(), ensure_ascii=False))
    else:
        for outcome in outcomes:
            print_outcome(outcome)
        print()
        print(_("Enveloppes déchiffrées : {ok} sur {total}").format(ok=ok, total=len(outcomes)))
    return 0 if ok == len(outcomes) else 1


def _ignore(update: ProgressUpdate) -> None:
    pass
