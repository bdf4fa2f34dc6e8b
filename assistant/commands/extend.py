"""`assistant extend`: renew a B-LTA signature with a new archive (PAdES: document) timestamp.

The signature is verified first (the trust anchors of `--trust`, or the system's and the user's
own from the settings); the result is a new file beside it, the original untouched.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.errors import UsageError
from assistant.i18n import M_, _


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False
    parser.add_argument("file", type=Path, metavar=_("FICHIER"), help=_("signature B-LTA (.pdf / .p7s / .p7m / .xml)"))
    parser.add_argument(
        "--detached-of", type=Path, metavar=_("DOCUMENT"), help=_("document signé (signature détachée)")
    )
    parser.add_argument("--tsa", metavar="URL", help=_("service d'horodatage RFC 3161 (défaut : paramètres)"))
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="PEM",
        help=_("autorité de confiance (PEM ; répétable). Par défaut : celles du système"),
    )
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))


def run(args: argparse.Namespace) -> int:
    import logging

    from assistant.commands.verify import load_roots
    from assistant.settings import Settings
    from assistant.signing.anchors import load_certificates
    from assistant.signing.extend import extend_archive

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    settings = Settings.load()
    tsa_url = args.tsa or settings.tsa_url
    if not tsa_url:
        raise UsageError(M_("Aucun service d'horodatage : indiquez-le avec --tsa ou dans les Options avancées."))
    roots = load_roots(args.trust)
    extra = load_certificates(settings.verify_trust_anchors) if roots is None else None
    output = extend_archive(
        args.file, tsa_url, detached_of=args.detached_of, trust_roots=roots, extra_trust_roots=extra or None
    )
    if args.json:
        print(json.dumps({"file": str(args.file), "output": str(output)}, ensure_ascii=False))
    else:
        print(_("✓ Horodatage d'archive ajouté : {name}").format(name=output.name))
        print(_("  ↳ Répertoire de destination : {parent}").format(parent=output.parent))
    return 0
