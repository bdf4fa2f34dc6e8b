"""`assistant bridge trust|untrust|status|pair|unpair|pairings|lna-policy`: browsers' trust in the
bridge's own CA, pairing with platforms, and the Local Network Access policy for IT.

`trust` asks before touching anything (or takes `--yes`), then adds this installation's CA to
Chrome's and every Firefox profile's NSS database (Linux), the CurrentUser Root store (Windows)
or the login keychain (macOS). `untrust` removes every CA this installation added. `status`
says where the bridge runs and which browsers trust it.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.bridge import ca, instance, trust
from assistant.i18n import _


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar=_("ACTION"), required=True)
    add = sub.add_parser("trust", help=_("faire approuver le certificat du pont par les navigateurs"))
    add.add_argument("--yes", "-y", action="store_true", help=_("ne pas demander de confirmation"))
    sub.add_parser("untrust", help=_("retirer l'autorité du pont des navigateurs"))
    st = sub.add_parser("status", help=_("état du pont et confiance des navigateurs"))
    st.add_argument("--json", action="store_true", help=_("sortie JSON"))
    pair = sub.add_parser("pair", help=_("associer ce poste à une plateforme (si le navigateur bloque le pont local)"))
    pair.add_argument("url", help=_("adresse de la plateforme (https://…)"))
    pair.add_argument("code", help=_("code d'association affiché par la plateforme"))
    unpair = sub.add_parser("unpair", help=_("dissocier ce poste d'une plateforme"))
    unpair.add_argument("url")
    sub.add_parser("pairings", help=_("lister les plateformes associées"))
    lna = sub.add_parser("lna-policy", help=_("stratégie d'entreprise autorisant une plateforme à joindre l'assistant"))
    lna.add_argument("url", help=_("adresse de la plateforme (https://…)"))


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(_("{question} [o/N] ").format(question=question)).strip().lower()
    return answer in ("o", "oui", "y", "yes")


def _pairing(args: argparse.Namespace) -> int:
    from assistant.bridge import pairing
    from assistant.jobs.descriptor import demo_mode_enabled

    if args.action == "pair":
        done = pairing.pair(args.url, args.code, allow_loopback_http=demo_mode_enabled())
        print(
            _(
                "Poste associé à {origin}. L'assistant y cherchera les traitements demandés tant qu'il est lancé."
            ).format(origin=done.origin)
        )
        return 0
    if args.action == "unpair":
        if pairing.unpair(args.url):
            print(_("Association retirée."))
            return 0
        print(_("Ce poste n'était pas associé à cette plateforme."))
        return 1
    pairings = pairing.load_pairings()
    if not pairings:
        print(_("Aucune plateforme associée."))
    for item in pairings:
        template = (
            _("{origin} (associé le {date}, révoqué par la plateforme)")
            if item.revoked
            else _("{origin} (associé le {date})")
        )
        print(template.format(origin=item.origin, date=item.paired_at))
    return 0


def _lna_policy(url: str) -> int:
    """The policies IT deploys so the platform's pages reach the assistant without a browser prompt."""
    from assistant.bridge.guards import normalize_origin
    from assistant.diagnostics.local_network import policy_texts

    origin = normalize_origin(url.rstrip("/"))
    if origin is None or not origin.startswith("https://"):
        print(_("Adresse de plateforme invalide : « {url} » (attendu : https://…).").format(url=url), file=sys.stderr)
        return 1
    for where, text in policy_texts(origin).items():
        print(f"# {where}\n{text}\n")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.action in ("pair", "unpair", "pairings"):
        return _pairing(args)
    if args.action == "lna-policy":
        return _lna_policy(args.url)
    if args.action == "trust":
        identity, _renewed = ca.ensure()
        if not args.yes and not _confirm(
            _(
                "Ajouter l'autorité locale de l'assistant (valable seulement pour 127.0.0.1, ::1 et localhost) "
                "aux magasins de confiance des navigateurs ?"
            )
        ):
            print(_("Rien n'a été modifié (confirmez avec --yes)."), file=sys.stderr)
            return 1
        outcomes = trust.trust(identity)
        for outcome in outcomes:
            mark = "ok" if outcome.ok else _("ÉCHEC")
            print(f"[{mark}] {outcome.target.browser} ({outcome.target.location}) : {outcome.message}")
        return 0 if all(o.ok for o in outcomes) else 1
    if args.action == "untrust":
        current = ca.load()
        if current is None:
            print(_("Aucune autorité locale à retirer."))
            return 0
        for outcome in trust.untrust(current):
            print(f"{outcome.target.browser} ({outcome.target.location}) : {outcome.message}")
        return 0
    current = ca.load()
    running = instance.running_instance()
    browsers = [s.to_dict() for s in trust.status(current)] if current else []
    report = {
        "running": running is not None,
        "instance": running or {},
        "ca_fingerprint_sha256": current.ca_fingerprint_sha256 if current else None,
        "not_after": current.not_after.isoformat() if current else None,
        "browsers": browsers,
    }
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return 0
    if running is not None:
        print(_("Pont local : en ligne, {url}").format(url=running.get("url", "")))
    else:
        print(_("Pont local : arrêté"))
    if current is None:
        print(_("Autorité locale : pas encore créée (elle l'est au premier lancement)."))
        return 0
    print(
        _("Autorité locale : {fingerprint}…, valable jusqu'au {not_after:%d/%m/%Y}").format(
            fingerprint=current.ca_fingerprint_sha256[:16], not_after=current.not_after
        )
    )
    for item in browsers:
        print(f"  {item['browser']} : {_('approuvée') if item['trusted'] else _('non approuvée')} ({item['detail']})")
    return 0
