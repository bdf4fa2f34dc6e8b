"""`assistant download`: bulk download of the encrypted plis named by a job descriptor.

The descriptor is the platform's (a URL, as the demo platform serves them, or a JSON file saved
from a platform). Running the same command again resumes: verified files are kept, partial files
continue where they stopped.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant import PROTOCOL_VERSION
from assistant.commands.jobcli import run_local_job
from assistant.errors import InputFileError
from assistant.i18n import M_, _
from assistant.jobs.interaction import HeadlessInteraction


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "descriptor", metavar=_("DESCRIPTEUR"), help=_("URL du descripteur de téléchargement, ou fichier JSON")
    )
    parser.add_argument(
        "--dest",
        type=Path,
        metavar=_("DOSSIER"),
        help=_("dossier de destination (défaut : Téléchargements/<plateforme>)"),
    )
    parser.add_argument(
        "--connections",
        type=int,
        metavar="N",
        help=_("connexions simultanées (1 à 16 ; défaut : selon le réseau mesuré, de 4 à 16)"),
    )
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))
    parser.add_argument("--quiet", action="store_true", help=_("sans barre de progression"))


def descriptor_from_arg(arg: str, job_type: str) -> dict[str, Any]:
    if arg.startswith(("https://", "http://")):
        return {"version": PROTOCOL_VERSION, "type": job_type, "params": {"descriptor_url": arg}}
    path = Path(arg)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputFileError(M_("Descripteur illisible : {path} ({exc}).", path=path, exc=exc)) from None
    if not isinstance(data, dict):
        raise InputFileError(M_("Descripteur invalide : {path}.", path=path))
    return data


def run(args: argparse.Namespace) -> int:
    descriptor = descriptor_from_arg(args.descriptor, "download")
    params = descriptor.setdefault("params", {})
    if isinstance(params, dict):
        if args.dest:
            params["destination"] = str(args.dest.resolve())
        if args.connections is not None:
            params["connections"] = args.connections
    return run_local_job(descriptor, HeadlessInteraction(), as_json=args.json, quiet=args.quiet)
