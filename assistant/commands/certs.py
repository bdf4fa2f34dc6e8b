"""`assistant certs [--json]`: the certificates this workstation can use, and whether they fit public procurement.

Listing never asks for a PIN and always exits 0 when it could look: a broken store (missing module,
absent token, unreadable file) is a warning under the list, not a failure of the command.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, TextIO

from assistant.i18n import _, localized, ngettext

if TYPE_CHECKING:
    from assistant.keystores.base import PinRequest
    from assistant.keystores.inventory import Inventory, InventoryEntry


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=_("liste JSON (un objet par certificat)"))
    parser.add_argument(
        "--avec-avertissements",
        dest="with_warnings",
        action="store_true",
        help=_("avec --json : un objet {certificates, warnings} au lieu d'une liste"),
    )
    parser.add_argument("--signature", action="store_true", help=_("seulement les certificats qui peuvent signer"))


def run(args: argparse.Namespace) -> int:
    from assistant.keystores.base import no_pin
    from assistant.keystores.inventory import list_certificates

    interactive = not args.json and sys.stdin.isatty() and sys.stderr.isatty()
    inventory = list_certificates(_terminal_password if interactive else no_pin)
    entries = inventory.entries
    if args.signature:
        entries = [e for e in entries if e.verdict.usable_for_signature]
    if args.json:
        listed = [e.to_dict() for e in entries]
        payload: object = listed
        if args.with_warnings:
            payload = {"certificates": listed, "warnings": [w.to_dict() for w in inventory.warnings]}
        json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        for warning in inventory.warnings:
            print(
                _("Attention : {warning_text}").format(
                    warning_text=_warning_text(warning.store, localized(warning.message_fr, warning.message_en))
                ),
                file=sys.stderr,
            )
        return 0
    print_table(inventory, entries, sys.stdout)
    return 0


def _terminal_password(request: PinRequest) -> str | None:
    """Only .p12 files whose certificate is encrypted ask, once each; Enter skips the file."""
    import getpass

    if request.kind != "password":
        return None
    try:
        answer = getpass.getpass(
            _("Mot de passe du fichier {store_label} (Entrée pour passer) : ").format(store_label=request.store_label)
        )
    except (EOFError, KeyboardInterrupt):
        return None
    return answer or None


def _warning_text(store: str, message: str) -> str:
    return f"{store} — {message}" if store and store not in message else message


def _stores_text(entry: InventoryEntry) -> str:
    from assistant.keystores.inventory import STORE_KIND_NAMES

    return ", ".join(
        f"{s.label} ({_(STORE_KIND_NAMES[s.kind]) if s.kind in STORE_KIND_NAMES else s.kind.value})"
        for s in entry.stores
    )


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_table(inventory: Inventory, entries: list[InventoryEntry], out: TextIO) -> None:
    from assistant.keystores.conformity import format_date
    from assistant.keystores.inventory import format_fingerprint

    if not entries:
        out.write(_("Aucun certificat utilisable n'a été trouvé.\n"))
        out.write(_("Branchez votre carte ou clé USB, ou ajoutez un fichier .p12 avec « assistant import-p12 ».\n"))
    else:
        count = len(entries)
        out.write(
            ngettext("{count} certificat trouvé", "{count} certificats trouvés", count).format(count=count) + "\n\n"
        )
        headers = ("N°", _("Titulaire"), _("Émetteur"), _("Valide jusqu'au"), _("Clé"), _("Verdict"))
        rows = [
            (
                str(i),
                _cut(e.subject_name, 34),
                _cut(e.issuer_name, 28),
                format_date(e.not_after),
                f"{e.key_type} {e.key_size}",
                _(e.verdict.label),
            )
            for i, e in enumerate(entries, 1)
        ]
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
        out.write(line.rstrip() + "\n")
        out.write("  ".join("─" * w for w in widths) + "\n")
        for row in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
        out.write(_("\nDétails\n"))
        for i, entry in enumerate(entries, 1):
            out.write(f"\n{i}. {entry.subject_name}")
            if entry.organization and entry.organization != entry.subject_name:
                out.write(f" — {entry.organization}")
            out.write(_("\n   Verdict    : {label}\n").format(label=_(entry.verdict.label)))
            out.write(_("   Émetteur   : {issuer}\n").format(issuer=entry.issuer))
            out.write(
                _("   Validité   : du {start} au {end}\n").format(
                    start=format_date(entry.not_before), end=format_date(entry.not_after)
                )
            )
            out.write(_("   Magasin(s) : {stores}\n").format(stores=_stores_text(entry)))
            out.write(f"   SHA-256    : {format_fingerprint(entry.fingerprint_sha256)}\n")
            for reason in entry.verdict.reasons:
                out.write(f"   {'✔' if reason.ok else '✘'} {reason.fr}\n")
    if inventory.warnings:
        out.write(_("\nAvertissements\n"))
        for warning in inventory.warnings:
            out.write(f"  ⚠ {_warning_text(warning.store, localized(warning.message_fr, warning.message_en))}\n")
