"""The `assistant` command: every job is also a subcommand.

Subcommands live in `assistant.commands.<module>` and are imported only when chosen, so that
`assistant --version` and `assistant --help` stay fast (no Qt, no crypto import on that path).
Each command module provides `configure(parser)` and `run(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from assistant import APP_NAME, __version__
from assistant.i18n import N_, _

#: name -> (module under assistant.commands, one-line help: French source, shown translated)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", N_("Lancer l'assistant (icône de notification et pont local)")),
    "certs": ("certs", N_("Lister les certificats utilisables et leur conformité")),
    "import-p12": ("import_p12", N_("Importer un fichier PKCS#12 (.p12/.pfx) dans un magasin")),
    "sign": ("sign", N_("Signer des fichiers (PAdES, CAdES, XAdES)")),
    "verify": ("verify", N_("Vérifier une signature et produire le rapport")),
    "extend": ("extend", N_("Renouveler l'horodatage d'archive d'une signature B-LTA (PAdES, CAdES, XAdES)")),
    "trusted-lists": ("trusted_lists", N_("Listes de confiance européennes : mettre à jour, état")),
    "prepare": ("prepare", N_("Préparer mon dépôt : signer toute la réponse avec un seul code PIN")),
    "keygen": ("keygen", N_("Créer un bi-clé de chiffrement")),
    "decrypt": ("decrypt", N_("Déchiffrer des plis (enveloppes CMS)")),
    "download": ("download", N_("Télécharger les plis chiffrés d'une consultation")),
    "open": ("open_online", N_("Ouverture en ligne des plis d'une consultation")),
    "jobs": ("jobs", N_("Historique des traitements distants")),
    "demo": ("demo", N_("Démarrer la plateforme de démonstration")),
    "bridge": ("bridge", N_("Pont local HTTPS : confiance des navigateurs")),
    "origins": ("origins", N_("Plateformes autorisées à utiliser l'assistant")),
    "platform-ca": ("platform_ca", N_("Autorités de certification ajoutées pour les plateformes")),
    "diagnose": ("diagnose", N_("Tester la configuration du poste")),
    "autostart": ("autostart", N_("Démarrer l'assistant avec la session (on, off, status)")),
    "update": ("update", N_("Mises à jour automatiques : vérifier, état")),
}


def _load(name: str):  # type: ignore[no-untyped-def]
    module_name, _help = COMMANDS[name]
    return importlib.import_module(f"assistant.commands.{module_name}")


def build_parser(selected: str | None) -> argparse.ArgumentParser:
    from assistant.commands import argparse_words

    argparse_words.install()  # before the parser: argparse words its headings when it is made
    parser = argparse.ArgumentParser(
        prog="assistant",
        description=f"{APP_NAME} {__version__}",
    )
    parser.add_argument(
        "--version", action="version", version=f"{APP_NAME} {__version__}", help=_("afficher la version et quitter")
    )
    parser.add_argument("-v", "--verbose", action="store_true", help=_("journal détaillé"))
    sub = parser.add_subparsers(dest="command", metavar=_("COMMANDE"))
    for name, (_module, help_fr) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=_(help_fr), description=_(help_fr))
        if name == selected:
            _load(name).configure(sub_parser)
    return parser


def _selected_command(argv: Sequence[str]) -> str | None:
    for arg in argv:
        if arg in COMMANDS:
            return arg
        if not arg.startswith("-"):
            return None
    return None


def _choose_language() -> None:
    """ASSISTANT_LANG, else the user's setting, else the system's language (assistant.i18n)."""
    from assistant import i18n
    from assistant.settings import Settings

    i18n.configure(Settings.load().language)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _choose_language()
    selected = _selected_command(argv)
    if selected == "run":
        from assistant.update.apply import apply_pending_update

        if (code := apply_pending_update(argv)) is not None:
            return code  # a staged update was installed and ran (assistant/update/apply.py)
    try:
        parser = build_parser(selected)
    except ModuleNotFoundError as exc:
        print(_("assistant: commande indisponible ({name})").format(name=exc.name), file=sys.stderr)
        return 2
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    from assistant.logs import setup_logging

    setup_logging(verbose=args.verbose)
    from assistant.errors import AssistantError

    try:
        return int(_load(args.command).run(args))
    except AssistantError as exc:
        print(f"assistant: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(_("assistant: interrompu"), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
