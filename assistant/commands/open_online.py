"""`assistant open`: online opening of a consultation's plis (ouverture en ligne).

The envelopes named by the platform's descriptor are fetched, decrypted with the bi-clé named by
`--key` (PIN from the variable named by `--pin-env`, never from the command line), and each
decrypted content is sent back to the platform. Nothing decrypted stays on disk unless `--keep`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from assistant.commands.download import descriptor_from_arg
from assistant.commands.jobcli import run_local_job
from assistant.i18n import _
from assistant.jobs.interaction import HeadlessInteraction


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "descriptor", metavar=_("DESCRIPTEUR"), help=_("URL du descripteur d'ouverture, ou fichier JSON")
    )
    parser.add_argument(
        "--key",
        required=True,
        metavar=_("CLÉ"),
        help=_("URI PKCS#11, fichier .p12, sha256:<empreinte> ou vault:<nom> du bi-clé"),
    )
    parser.add_argument(
        "--pin-env", metavar="VAR", help=_("variable d'environnement contenant le code PIN ou le mot de passe")
    )
    parser.add_argument(
        "--keep", type=Path, metavar=_("DOSSIER"), help=_("conserver aussi une copie déchiffrée dans ce dossier")
    )
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))
    parser.add_argument("--quiet", action="store_true", help=_("sans barre de progression"))


def run(args: argparse.Namespace) -> int:
    descriptor = descriptor_from_arg(args.descriptor, "open")
    params = descriptor.setdefault("params", {})
    if isinstance(params, dict):
        params["key"] = args.key
        if args.keep:
            params["keep_decrypted_in"] = str(args.keep.resolve())
    interaction = HeadlessInteraction(args.key, args.pin_env)
    return run_local_job(descriptor, interaction, as_json=args.json, quiet=args.quiet)
