"""`assistant origins list|add|remove`: the platforms allowed to use the assistant.

The same list the tray's approval question fills; a running bridge picks up changes at once
(it re-reads the settings file when it changes).
"""

from __future__ import annotations

import argparse
import json

from assistant.bridge.origins import OriginRegistry
from assistant.errors import UsageError
from assistant.i18n import M_, _


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    listing = sub.add_parser("list", help=_("lister les plateformes autorisées"))
    listing.add_argument("--json", action="store_true", help=_("sortie JSON"))
    add = sub.add_parser("add", help=_("autoriser une plateforme (ex. https://marches.example.fr)"))
    add.add_argument("origin")
    remove = sub.add_parser("remove", help=_("retirer l'autorisation d'une plateforme"))
    remove.add_argument("origin")


def run(args: argparse.Namespace) -> int:
    registry = OriginRegistry()
    if args.action == "list":
        origins = registry.list()
        if args.json:
            print(json.dumps(origins, ensure_ascii=False))
        elif not origins:
            print(_("Aucune plateforme autorisée."))
        else:
            for origin in origins:
                print(origin)
        return 0
    if args.action == "add":
        try:
            origin = registry.approve(args.origin)
        except ValueError:
            raise UsageError(
                M_("Origine invalide : « {origin} » (attendu : https://hôte[:port], sans chemin).", origin=args.origin),
            ) from None
        print(_("Plateforme autorisée : {origin}").format(origin=origin))
        return 0
    if registry.revoke(args.origin):
        print(_("Autorisation retirée : {origin}").format(origin=args.origin.strip()))
        return 0
    print(_("Cette plateforme n'était pas autorisée : {origin}").format(origin=args.origin.strip()))
    return 1
