"""`assistant import-p12 FILE --store STORE`: put a .p12/.pfx certificate and its key into a store.

STORE is `nss` (the system store, ~/.pki/nssdb, created if needed), `nss:FOLDER` (another NSS
database, e.g. a Firefox profile) or a PKCS#11 token URI (`pkcs11:token=Ma%20carte`). Secrets come
from the terminal, or from environment variables named by --password-env / --pin-env for scripts:
never from the command line itself, where other users could read them.
"""

from __future__ import annotations

import argparse
import os

from assistant.errors import UsageError
from assistant.i18n import M_, _


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar=_("FICHIER"), help=_("fichier PKCS#12 (.p12 ou .pfx)"))
    parser.add_argument(
        "--store",
        required=True,
        metavar=_("MAGASIN"),
        help=_("« nss » (magasin du système), « nss:DOSSIER » ou adresse pkcs11:token=… d'une carte"),
    )
    parser.add_argument(
        "--password-env", metavar="VAR", help=_("variable d'environnement contenant le mot de passe du fichier")
    )
    parser.add_argument("--pin-env", metavar="VAR", help=_("variable d'environnement contenant le code PIN du magasin"))


def run(args: argparse.Namespace) -> int:
    from assistant.commands.terminal import ask_secret, env_secret, make_pin_callback
    from assistant.keystores.importer import import_p12, open_target_store
    from assistant.settings import Settings

    password = (
        env_secret(args.password_env)
        if args.password_env
        else ask_secret(_("Mot de passe de {basename} : ").format(basename=os.path.basename(args.file)))
    )
    if password is None:
        raise UsageError(
            M_("Mot de passe du fichier requis : lancez la commande dans un terminal ou utilisez --password-env."),
        )
    pin_callback = make_pin_callback(args.pin_env)

    settings = Settings.load()
    store = open_target_store(args.store, pin_callback, settings_modules=settings.pkcs11_modules)
    try:
        result = import_p12(args.file, store, pin_callback, password=password)
    finally:
        del password
        store.close()
    if result.already_present:
        print(
            _("Le certificat « {object_label} » est déjà dans « {store_label} » : rien n'a été modifié.").format(
                object_label=result.object_label, store_label=result.store_label
            )
        )
    else:
        print(
            _("Certificat « {object_label} » et sa clé privée importés dans « {store_label} ».").format(
                object_label=result.object_label, store_label=result.store_label
            )
        )
    print(_("Empreinte SHA-256 : {fingerprint_sha256}").format(fingerprint_sha256=result.fingerprint_sha256))
    return 0
