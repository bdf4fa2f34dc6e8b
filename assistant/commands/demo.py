"""`assistant demo`: start the demo platform on 127.0.0.1 and serve until Ctrl-C.

`--tls` serves HTTPS, as real platforms do, with a CA made at start (its key never leaves the
process's memory); `--ca-out FICHIER` writes that CA's certificate where the assistant under test
is told to trust it (settings `platform_ca_files`). The PEM is printed in the terminal too.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from assistant.demo.content import ContentSpec
from assistant.i18n import M_, _


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=0, help=_("port d'écoute (défaut : un port libre)"))
    parser.add_argument("--data-dir", type=Path, metavar=_("DOSSIER"), help=_("dossier des données de la démo"))
    parser.add_argument("--consultations", type=int, default=3)
    parser.add_argument("--plis", type=int, default=5)
    parser.add_argument("--envelopes", type=int, default=3)
    parser.add_argument("--files-per-envelope", type=int, default=1)
    parser.add_argument(
        "--file-size", type=int, default=48 * 1024, help=_("taille du contenu de chaque fichier (octets)")
    )
    parser.add_argument(
        "--recipient-cert",
        type=Path,
        metavar="PEM",
        help=_("certificat du bi-clé destinataire des plis (défaut : bi-clé de démo)"),
    )
    parser.add_argument(
        "--test-hooks", action="store_true", help=_("active /api/test/* (pannes simulées, pour les tests)")
    )
    parser.add_argument(
        "--no-seed",
        action="store_true",
        help=_("ne pas placer les identifiants de démonstration dans le coffre de l'assistant"),
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help=_("servir en HTTPS (certificat émis par une autorité locale créée au démarrage)"),
    )
    parser.add_argument(
        "--ca-out",
        type=Path,
        metavar=_("FICHIER"),
        help=_("avec --tls : écrire le certificat de l'autorité locale (PEM) dans ce fichier"),
    )
    parser.add_argument("--port-file", type=Path, help=argparse.SUPPRESS)


def run(args: argparse.Namespace) -> int:
    from assistant.demo.server import DemoPlatform
    from assistant.errors import UsageError

    if args.ca_out and not args.tls:
        raise UsageError(M_("--ca-out n'a de sens qu'avec --tls."))

    platform = DemoPlatform(
        port=args.port,
        data_dir=args.data_dir,
        spec=ContentSpec(args.consultations, args.plis, args.envelopes, args.files_per_envelope, args.file_size),
        recipient_cert=args.recipient_cert,
        test_hooks=args.test_hooks,
        seed_credentials=not args.no_seed,
        tls=args.tls,
    )
    platform.start()
    print(_("Plateforme de démonstration : {url}/").format(url=platform.url), flush=True)
    if platform.tls is not None:
        if args.ca_out:
            platform.tls.write_ca(args.ca_out)  # before the port file: a caller waiting on it finds the CA
            print(_("Certificat de l'autorité locale écrit dans : {ca_out}").format(ca_out=args.ca_out), flush=True)
        print(
            _("Empreinte SHA-256 de l'autorité locale : {ca_fingerprint_sha256}").format(
                ca_fingerprint_sha256=platform.tls.ca_fingerprint_sha256
            ),
            flush=True,
        )
        print(
            _(
                "Pour que l'assistant fasse confiance à cette plateforme, ajoutez ce certificat à « platform_ca_files » dans ses réglages :"
            ),
            flush=True,
        )
        print(platform.tls.ca_pem.decode().rstrip(), flush=True)
    if platform.seeded:
        print(
            _("Identifiants de démonstration ajoutés au coffre de l'assistant : {names} (mot de passe : demo)").format(
                names=", ".join(platform.seeded)
            ),
            flush=True,
        )
    if args.port_file:
        tmp = args.port_file.with_name(args.port_file.name + ".tmp")
        tmp.write_text(platform.url)
        tmp.replace(args.port_file)
    try:
        platform.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        platform.stop()
    print(_("Plateforme arrêtée."), file=sys.stderr)
    return 0
