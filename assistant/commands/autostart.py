"""`assistant autostart on|off|status`: « Démarrer avec ma session », the same switch as the
settings page's checkbox (assistant.autostart)."""

from __future__ import annotations

import argparse
import json

from assistant.autostart import AutostartStatus, autostart_status, set_autostart
from assistant.i18n import _


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["on", "off", "status"], help=_("activer, désactiver, ou afficher l'état"))
    parser.add_argument("--json", action="store_true", help=_("sortie JSON"))


def _show(status: AutostartStatus, as_json: bool) -> None:
    if as_json:
        print(json.dumps(status.to_dict(), ensure_ascii=False))
        return
    print(
        _("L'assistant démarre avec votre session.")
        if status.enabled
        else _("L'assistant ne démarre pas avec votre session.")
    )
    print(_("Emplacement : {location}").format(location=status.location))


def run(args: argparse.Namespace) -> int:
    if args.action == "status":
        _show(autostart_status(), args.json)
        return 0
    _show(set_autostart(args.action == "on"), args.json)
    return 0
