"""`assistant trusted-lists update|status`: the EU trusted lists that confirm qualified certificates.

Updating is the user's action (or their setting): a page or a job never triggers it. `update`
saves the LOTL address and pinned certificates it was given, so the next update needs no option;
without any, it uses the certificates of the Official Journal notice that ship with the assistant.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.errors import UsageError
from assistant.i18n import M_, _


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    update = sub.add_parser(
        "update", help=_("télécharger et vérifier la liste des listes (LOTL) et les listes nationales")
    )
    update.add_argument(
        "--lotl", metavar="URL", help=_("adresse de la LOTL (par défaut celle de la Commission européenne)")
    )
    update.add_argument(
        "--lotl-cert",
        type=Path,
        action="append",
        metavar="PEM",
        help=_(
            "certificat habilité à signer la LOTL (publié au Journal officiel de l'UE ; répétable). "
            "Par défaut : ceux de la publication C/2026/1944, fournis avec l'assistant"
        ),
    )
    status = sub.add_parser("status", help=_("état du cache local des listes de confiance"))
    status.add_argument("--json", action="store_true", help=_("sortie JSON"))


def run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from assistant.settings import Settings
    from assistant.signing.trustlists import DEFAULT_LOTL_URL, TrustedListCache

    cache = TrustedListCache.default()
    if args.action == "status":
        state = cache.state()
        if args.json:
            print(json.dumps(asdict(state), ensure_ascii=False, indent=2))
            return 0
        if not state.updated_at:
            print(_("Aucune liste de confiance sur ce poste : lancez « assistant trusted-lists update »."))
            return 1
        print(
            _("Listes de confiance mises à jour le {date} depuis {url}").format(
                date=state.updated_at, url=state.lotl_url
            )
        )
        for item in state.lists:
            if item.error:
                print(f"  ✗ {item.territory} : {item.error}")
            else:
                line = _("{territory} n° {number}, émise le {issued}, prochaine mise à jour {next}").format(
                    territory=item.territory,
                    number=item.sequence_number,
                    issued=item.issued or "?",
                    next=item.next_update or "?",
                )
                print(f"  ✓ {line}")
        return 0
    from assistant.commands.verify import load_roots

    settings = Settings.load()
    url = args.lotl or settings.trusted_lists_url or DEFAULT_LOTL_URL
    pin_files = [str(p) for p in args.lotl_cert] if args.lotl_cert else list(settings.trusted_lists_certs)
    pins = load_roots([Path(p) for p in pin_files]) or []
    announcement = None
    if not pins:
        # The certificates the Official Journal published (resources/eu-lotl-signers), and the pivot
        # LOTLs published since that notice (assistant.signing.lotl_signers).
        from assistant.signing import lotl_signers

        pins = lotl_signers.shipped_signers()
        announcement = lotl_signers.names_this_notice
    if not url.startswith(("https://", "http://")):
        raise UsageError(M_("Adresse de LOTL invalide : {url}", url=url))
    state = cache.update(url, pins, announcement=announcement)
    if args.lotl or args.lotl_cert:
        settings.trusted_lists_url = url if args.lotl else settings.trusted_lists_url
        settings.trusted_lists_certs = [str(Path(p).resolve()) for p in pin_files]
        settings.save()
    good = [item for item in state.lists if not item.error]
    bad = [item for item in state.lists if item.error]
    print(
        _("{good} liste(s) de confiance vérifiée(s) et enregistrée(s) ; {bad} refusée(s).").format(
            good=len(good), bad=len(bad)
        )
    )
    for item in bad:
        print(f"  ✗ {item.territory} : {item.error}")
    return 0 if not bad else 1
