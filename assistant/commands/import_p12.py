"""`assistant import-p12 FILE --store STORE`: put a .p12/.pfx certificate and its key into a store.

STORE is `nss` (the system store, ~/.pki/nssdb, created if needed), `nss:FOLDER` (another NSS
database, e.g. a Firefox profile) or a PKCS#11 token URI (`pkcs11:token=Ma%20carte`). Secrets come
from the terminal, or from environment variables named by --password-env / --pin-env for scripts:
never from the command line itself, where other users could read them.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from assistant.errors import UsageError


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FICHIER", help="fichier PKCS#12 (.p12 ou .pfx)")
    parser.add_argument(
        "--store", required=True, metavar="MAGASIN",
        help="« nss » (magasin du système), « nss:DOSSIER » ou adresse pkcs11:token=… d'une carte",
    )  # fmt: skip
    parser.add_argument("--password-env", metavar="VAR", help="variable d'environnement contenant le mot de passe du fichier")
    parser.add_argument("--pin-env", metavar="VAR", help="variable d'environnement contenant le code PIN du magasin")


def _from_env(name: str) -> str:
    value = os.environ.get(name)
    if value is None:
        raise UsageError(
            f"La variable d'environnement {name} n'est pas définie.", f"Environment variable {name} is not set."
        )
    return value


def _prompt(text: str) -> str | None:
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(text)
    except (EOFError, KeyboardInterrupt):
        return None


def run(args: argparse.Namespace) -> int:
    from assistant.keystores.base import PinRequest, PinState
    from assistant.keystores.importer import import_p12, open_target_store
    from assistant.settings import Settings

    password = _from_env(args.password_env) if args.password_env else _prompt(f"Mot de passe de {os.path.basename(args.file)} : ")
    if password is None:
        raise UsageError(
            "Mot de passe du fichier requis : lancez la commande dans un terminal ou utilisez --password-env.",
            "The file's password is required: run in a terminal or use --password-env.",
        )
    pin_env = args.pin_env

    def pin_callback(request: PinRequest) -> str | None:
        if pin_env:
            return None if request.retry else _from_env(pin_env)
        if request.protected_path:
            print(f"Saisissez le code PIN de « {request.store_label} » sur le clavier du lecteur.", file=sys.stderr)
            return ""
        warning = {PinState.FINAL_TRY: " (DERNIER ESSAI avant blocage)", PinState.COUNT_LOW: " (essais restants en baisse)"}
        what = "Mot de passe" if request.kind == "password" else "Code PIN"
        return _prompt(f"{what} de « {request.store_label} »{warning.get(request.state, '')} : ")

    settings = Settings.load()
    store = open_target_store(args.store, pin_callback, settings_modules=settings.pkcs11_modules)
    try:
        result = import_p12(args.file, store, pin_callback, password=password)
    finally:
        del password
        store.close()
    if result.already_present:
        print(f"Le certificat « {result.object_label} » est déjà dans « {result.store_label} » : rien n'a été modifié.")
    else:
        print(f"Certificat « {result.object_label} » et sa clé privée importés dans « {result.store_label} ».")
    print(f"Empreinte SHA-256 : {result.fingerprint_sha256}")
    return 0
