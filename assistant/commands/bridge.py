"""`assistant bridge trust|untrust|status`: browsers' trust in the bridge's own CA.

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


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = sub.add_parser("trust", help="faire approuver le certificat du pont par les navigateurs")
    add.add_argument("--yes", "-y", action="store_true", help="ne pas demander de confirmation")
    sub.add_parser("untrust", help="retirer l'autorité du pont des navigateurs")
    st = sub.add_parser("status", help="état du pont et confiance des navigateurs")
    st.add_argument("--json", action="store_true", help="sortie JSON")


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [o/N] ").strip().lower()
    return answer in ("o", "oui", "y", "yes")


def run(args: argparse.Namespace) -> int:
    if args.action == "trust":
        identity, _renewed = ca.ensure()
        if not args.yes and not _confirm(
            "Ajouter l'autorité locale de l'assistant (valable seulement pour 127.0.0.1, ::1 et localhost) "
            "aux magasins de confiance des navigateurs ?"
        ):
            print("Rien n'a été modifié (confirmez avec --yes).", file=sys.stderr)
            return 1
        outcomes = trust.trust(identity)
        for outcome in outcomes:
            mark = "ok" if outcome.ok else "ÉCHEC"
            print(f"[{mark}] {outcome.target.browser} ({outcome.target.location}) : {outcome.message}")
        return 0 if all(o.ok for o in outcomes) else 1
    if args.action == "untrust":
        current = ca.load()
        if current is None:
            print("Aucune autorité locale à retirer.")
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
    print(f"Pont local : {'en ligne, ' + str((running or {}).get('url', '')) if running is not None else 'arrêté'}")
    if current is None:
        print("Autorité locale : pas encore créée (elle l'est au premier lancement).")
        return 0
    print(f"Autorité locale : {current.ca_fingerprint_sha256[:16]}…, valable jusqu'au {current.not_after:%d/%m/%Y}")
    for item in browsers:
        print(f"  {item['browser']} : {'approuvée' if item['trusted'] else 'non approuvée'} ({item['detail']})")
    return 0
