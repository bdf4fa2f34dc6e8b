"""`assistant diagnose [--platform URL] [--json]`: the workstation configuration test in a terminal.

The same report as the window's "Test de configuration" page and the platform's "Tester la
configuration de mon poste": one ✓/✗ line per prerequisite, and under each problem what to do.
Exit code 0 when nothing is in error, 1 otherwise (warnings do not fail), so that IT can script it.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.i18n import _
from assistant.progress import ProgressUpdate
from assistant.ui.labels import progress_label


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--platform",
        metavar="URL",
        help=_("adresse de la plateforme dont tester la communication (ex. https://marches.example.fr)"),
    )
    parser.add_argument("--json", action="store_true", help=_("rapport complet au format JSON"))
    parser.add_argument("--details", action="store_true", help=_("afficher le détail de chaque point"))


def run(args: argparse.Namespace) -> int:
    from assistant.diagnostics import Status, run_diagnostics
    from assistant.settings import Settings

    interactive = sys.stderr.isatty() and not args.json

    def show_progress(update: ProgressUpdate) -> None:
        label = progress_label(update)
        if interactive and label:
            print(f"\r\x1b[K{label}…", end="", file=sys.stderr, flush=True)

    report = run_diagnostics(Settings.load(), platform_url=args.platform, progress=show_progress)
    if interactive:
        print("\r\x1b[K", end="", file=sys.stderr, flush=True)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.to_text(verbose=args.details))
    return 1 if report.status is Status.ERROR else 0
