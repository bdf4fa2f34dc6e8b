"""`assistant keygen`: create a bi-clé (or adopt an existing certificate as one) from the command line.

Secrets never come from argv: the store's PIN or the vault password from `--pin-env VAR` or a
prompt, the backup password from `--password-env VAR` or a prompt typed twice.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from assistant.commands.terminal import env_secret
from assistant.envelopes.bicle import (
    ALLOWED_KEY_SIZES,
    DEFAULT_KEY_SIZE,
    DEFAULT_VALIDITY_DAYS,
    LOSS_WARNING,
    NO_BACKUP_WARNING,
    BackupRequest,
    BicleResult,
    check_backup_password,
)
from assistant.errors import UsageError
from assistant.i18n import M_, _
from assistant.keystores.base import PinCallback, PinRequest


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False
    parser.add_argument("--name", metavar=_("NOM"), help=_("nom du bi-clé : « Prénom NOM » ou une fonction"))
    parser.add_argument("--cn", metavar="CN", help=_("nom du certificat (défaut : « Clé de déchiffrement de NOM »)"))
    parser.add_argument(
        "--key-size",
        type=int,
        default=DEFAULT_KEY_SIZE,
        choices=ALLOWED_KEY_SIZES,
        help=_("taille de la clé RSA en bits (défaut : {size})").format(size=DEFAULT_KEY_SIZE),
    )
    parser.add_argument(
        "--validity-days",
        type=int,
        default=DEFAULT_VALIDITY_DAYS,
        help=_("durée de validité du certificat en jours (défaut : {days})").format(days=DEFAULT_VALIDITY_DAYS),
    )
    parser.add_argument(
        "--store",
        metavar="STORE",
        help=_("où créer la clé : pkcs11:token=…[?module-path=…], nss, nss:DOSSIER ou vault"),
    )
    parser.add_argument(
        "--from-cert",
        metavar="KEY",
        help=_("second mode : utiliser un certificat existant (pkcs11:…, .p12, sha256:…) comme bi-clé"),
    )
    parser.add_argument(
        "--cert-out",
        metavar="FILE.pem",
        type=Path,
        required=True,
        help=_("fichier où écrire le certificat public (à déposer sur la plateforme)"),
    )
    parser.add_argument(
        "--backup",
        action="store_true",
        help=_("faire une sauvegarde chiffrée (.p12) de la clé (coffre logiciel uniquement)"),
    )
    parser.add_argument("--no-backup", action="store_true", help=_("ne pas proposer de sauvegarde"))
    parser.add_argument("--backup-p12", metavar="FILE.p12", type=Path, help=_("fichier de la sauvegarde chiffrée"))
    parser.add_argument(
        "--password-env", metavar="VAR", help=_("variable d'environnement du mot de passe de la sauvegarde")
    )
    parser.add_argument(
        "--pin-env",
        metavar="VAR",
        help=_("variable d'environnement du code PIN de la carte, ou du mot de passe du coffre/NSS"),
    )
    parser.add_argument(
        "--remember-password",
        action="store_true",
        help=_("garder le mot de passe du coffre dans le trousseau du système"),
    )
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))


def ask_new_password(what: str) -> str:
    """Typed twice on the terminal; never echoed, never stored."""
    if not sys.stdin.isatty():
        raise UsageError(
            M_("{what} : aucun terminal pour le saisir ; utilisez --password-env ou --pin-env.", what=what),
        )
    for _attempt in range(3):
        first = getpass.getpass(_("{what} : ").format(what=what))
        try:
            check_backup_password(first)
        except UsageError:
            raise
        except Exception as exc:
            print(getattr(exc, "message", str(exc)), file=sys.stderr)
            continue
        if getpass.getpass(_("{what} (confirmation) : ").format(what=what)) == first:
            return first
        print(_("Les deux saisies sont différentes."), file=sys.stderr)
    raise UsageError(M_("Mot de passe non confirmé."))


def _backup_request(args: argparse.Namespace) -> BackupRequest | None:
    wanted = args.backup or args.backup_p12 is not None
    if args.no_backup:
        return None
    if not wanted and sys.stdin.isatty() and not args.json:
        print(LOSS_WARNING, file=sys.stderr)
        answer = input(_("Créer une sauvegarde chiffrée (.p12) de la clé ? [O/n] ")).strip().lower()
        wanted = answer in ("", "o", "oui", "y", "yes")
    if not wanted:
        return None
    path = args.backup_p12 or args.cert_out.with_name(args.cert_out.stem + "-sauvegarde.p12")
    password = (
        env_secret(args.password_env) if args.password_env else ask_new_password(_("Mot de passe de la sauvegarde"))
    )
    return BackupRequest(Path(path), password)


def print_result(result: BicleResult) -> None:
    cert = result.certificate
    print(_("✓ Bi-clé réutilisé.") if result.reused else _("✓ Bi-clé créé."))
    print(_("- Certificat : {subject}").format(subject=cert.subject.rfc4514_string()))
    print(
        _("- Valide du {not_valid_before_utc:%d/%m/%Y} au {not_valid_after_utc:%d/%m/%Y}").format(
            not_valid_before_utc=cert.not_valid_before_utc, not_valid_after_utc=cert.not_valid_after_utc
        )
    )
    print(_("- Clé : RSA {key_size} bits").format(key_size=cert.public_key().key_size))  # type: ignore[union-attr]
    print(_("- Magasin : {store_label}").format(store_label=result.store_label))
    print(_("- Emplacement : {location}").format(location=result.location))
    print(_("- Empreinte SHA-256 : {fingerprint_sha256}").format(fingerprint_sha256=result.fingerprint_sha256))
    attrs = result.key_attributes
    if attrs:
        yes, no = _("oui"), _("non")
        print(
            _("- Clé sensible : {sensitive} ; extractible : {extractable}").format(
                sensitive=yes if attrs.get("sensitive") else no, extractable=yes if attrs.get("extractable") else no
            )
        )
    if result.cert_out:
        print(_("- Certificat public (à déposer sur la plateforme) : {cert_out}").format(cert_out=result.cert_out))
    if result.backup:
        print(_("- Sauvegarde chiffrée : {backup}").format(backup=result.backup))
    for warning in result.warnings:
        if warning == NO_BACKUP_WARNING:  # the window's words; here, the command line's
            warning = M_(
                "Aucune sauvegarde n'a été faite : avant de déclarer ce bi-clé sur la plateforme, créez-le de "
                "nouveau avec l'option --backup-p12 FICHIER."
            )
        print(f"⚠ {warning}")


def run(args: argparse.Namespace) -> int:
    from assistant.commands.terminal import make_pin_callback

    pin_callback: PinCallback = make_pin_callback(args.pin_env)
    if args.from_cert:
        from assistant.commands.terminal import open_key
        from assistant.envelopes.bicle import bicle_from_credential
        from assistant.keystores.selection import release

        if args.store:
            raise UsageError(M_("--store et --from-cert s'excluent."))
        credential = open_key(args.from_cert, pin_callback)
        try:
            result = bicle_from_credential(credential, cert_out=args.cert_out)
        finally:
            release(credential)
    else:
        from assistant.envelopes.bicle import create_bicle

        if not args.store or not args.name:
            raise UsageError(
                M_("--name et --store sont obligatoires (ou --from-cert)."),
            )
        is_vault = args.store.strip().lower() == "vault"
        if not is_vault and (args.backup or args.backup_p12):
            raise UsageError(
                M_(
                    "La sauvegarde .p12 ne concerne que le coffre logiciel : une clé créée dans une carte ou dans NSS ne sort pas de son magasin."
                ),
            )
        backup = _backup_request(args) if is_vault else None
        vault_password = None
        if is_vault:
            vault_password = env_secret(args.pin_env) if args.pin_env else ask_new_password(_("Mot de passe du coffre"))

        def pin(request: PinRequest) -> str | None:
            return pin_callback(request)

        result = create_bicle(
            args.store,
            args.name,
            pin,
            cn=args.cn,
            key_size=args.key_size,
            validity_days=args.validity_days,
            cert_out=args.cert_out,
            backup=backup,
            vault_password=vault_password,
            remember_vault_password=args.remember_password,
            allow_module_path=True,
        )
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print_result(result)
    return 0
