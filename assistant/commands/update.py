"""`assistant update check|status`: look for a new version now, or show what the last check found.

`check` does what the daily background check does: refresh the publisher's TUF metadata, download
and verify this OS's new release, stage it for the next start. Exit status 0 when up to date or
staged, 1 when the update was refused (the French reason is printed), 2 when disabled/unreachable.
"""

from __future__ import annotations

import argparse
import json

from assistant import __version__
from assistant.i18n import _
from assistant.settings import Settings


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["check", "status"], help=_("vérifier maintenant, ou afficher l'état"))
    parser.add_argument("--json", action="store_true", help=_("sortie JSON"))


def run(args: argparse.Namespace) -> int:
    from assistant.update.config import load_config
    from assistant.update.gate import required_min_version, status_path

    config = load_config(Settings.load())
    if args.action == "status":
        try:
            last = json.loads(status_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            last = {}
        data = {
            "installed": __version__,
            "enabled": config.disabled_reason is None,
            "disabled_reason": config.disabled_reason,
            "repository_url": config.repository_url,
            "decided_by": config.decided_by,
            "interval_hours": config.interval_hours,
            "min_version": required_min_version(),
            "last_check": last or None,
        }
        if args.json:
            print(json.dumps(data, ensure_ascii=False))
        else:
            print(_("Version installée : {version}").format(version=__version__))
            print(
                config.disabled_reason
                or _("Dépôt : {url} (toutes les {hours} h)").format(
                    url=config.repository_url, hours=f"{config.interval_hours:g}"
                )
            )
            if last:
                print(
                    _("Dernière vérification ({when}) : {message}").format(
                        when=last.get("checked_at", "?"), message=last.get("message", "")
                    )
                )
        return 0
    from assistant.update.client import check_for_update
    from assistant.update.layout import running_layout

    check = check_for_update(config, layout=running_layout())
    if args.json:
        print(json.dumps(check.to_dict(), ensure_ascii=False))
    else:
        print(check.message)
    return {"up_to_date": 0, "staged": 0, "available": 0, "refused": 1}.get(check.state, 2)
