"""`assistant prepare FOLDER`: "Préparer mon dépôt" from the command line.

Without --key it only looks: every file with its proposed format, the ZIPs whose content would
stay unsigned, the problems the platform or the buyer would raise, and the upload estimate.
With --key it signs the whole bid with one PIN into a new folder ready to deposit, verifies every
signature as the buyer will, and writes the one-page summary beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from assistant.commands.errors import CommandCode
from assistant.commands.terminal import make_pin_callback, open_key
from assistant.errors import UsageError
from assistant.i18n import M_, _
from assistant.prepare.checks import Problem, Severity
from assistant.prepare.estimate import UploadEstimate
from assistant.prepare.plan import BidPlan
from assistant.progress import ProgressUpdate
from assistant.signing.stamp import SETTINGS_KEY, StampPlacement, VisibleSignature
from assistant.ui.labels import progress_label


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False  # "--pin 1234" must not abbreviate "--pin-env"
    parser.add_argument(
        "folder", type=Path, metavar="DOSSIER", help=_("dossier de la réponse (candidature, offre, lots)")
    )
    parser.add_argument(
        "--key",
        metavar="KEY",
        help=_("certificat de signature (URI pkcs11:, fichier .p12, sha256:…) ; sans lui, rien n'est signé"),
    )
    parser.add_argument("--pin-env", metavar="VAR", help=_("variable d'environnement contenant le code PIN"))
    parser.add_argument(
        "--rules",
        metavar="JSON|URL",
        help=_(
            "règles de dépôt de la plateforme : fichier ou adresse (deposit_rules, ou un descripteur qui les contient)"
        ),
    )
    parser.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FICHIER=FORMAT",
        help=_("changer le format proposé pour un fichier (chemin dans le dossier ; répétable)"),
    )
    parser.add_argument(
        "--zip-as-is",
        action="append",
        default=[],
        metavar="FICHIER.zip",
        help=_("signer cette archive telle quelle, sans signer les fichiers qu'elle contient"),
    )
    parser.add_argument(
        "--out", type=Path, metavar="DOSSIER", help=_("dossier du dépôt (défaut : « DOSSIER - dépôt signé » à côté)")
    )
    parser.add_argument(
        "--visible", action="store_true", help=_("signature visible sur les PDF (emplacement mémorisé)")
    )
    parser.add_argument(
        "--stamp-page", type=int, metavar="N", help=_("page de la signature visible (1 = première, -1 = dernière)")
    )
    parser.add_argument(
        "--stamp-box", metavar="G,H,L,H", help=_("emplacement en fractions de la page : gauche,haut,largeur,hauteur")
    )
    parser.add_argument(
        "--stamp-image", type=Path, metavar="IMAGE", help=_("signature scannée (PNG ou JPEG) dans le cachet")
    )
    parser.add_argument(
        "--upload-test", metavar="URL", help=_("adresse de test d'envoi de la plateforme (défaut : celle des règles)")
    )
    parser.add_argument("--level", default="B-B", choices=("B-B", "B-T"), help=_("niveau de signature"))
    parser.add_argument("--tsa", metavar="URL", help=_("service d'horodatage pour B-T (défaut : paramètres)"))
    parser.add_argument(
        "--trust",
        type=Path,
        action="append",
        metavar="PEM",
        help=_("autorité de confiance pour la vérification (défaut : celles du système)"),
    )
    parser.add_argument("--json", action="store_true", help=_("résultat en JSON"))


def apply_choices(plan: BidPlan, formats: list[str], as_is: list[str]) -> BidPlan:
    for choice in formats:
        name, sep, fmt = choice.rpartition("=")
        if not sep or not name:
            raise UsageError(
                M_("--format attend FICHIER=FORMAT : {choice}", choice=choice),
                code=CommandCode.BAD_USAGE,
            )
        plan = plan.with_format(name, fmt)
    for name in as_is:
        plan = plan.with_sign_inside(name, False)
    return plan


def visible_from(args: argparse.Namespace) -> VisibleSignature | None:
    """The stamp: the options given, the rest from the last placement the user chose (settings)."""
    from assistant.settings import Settings

    if not (args.visible or args.stamp_page is not None or args.stamp_box or args.stamp_image):
        return None
    settings = Settings.load()
    remembered = VisibleSignature.from_settings(settings.extra.get(SETTINGS_KEY))
    place = remembered.placement
    if args.stamp_box:
        try:
            left, top, width, height = (float(v) for v in args.stamp_box.split(","))
        except ValueError:
            raise UsageError(
                M_("--stamp-box attend quatre nombres : gauche,haut,largeur,hauteur"),
                code=CommandCode.BAD_USAGE,
            ) from None
        place = StampPlacement(place.page, left, top, width, height)
    if args.stamp_page is not None:
        place = StampPlacement(args.stamp_page, place.left, place.top, place.width, place.height)
    image = args.stamp_image or remembered.image
    visible = VisibleSignature(place, image)
    settings.extra[SETTINGS_KEY] = visible.to_settings()  # remembered for next time
    settings.save()
    return visible


def run(args: argparse.Namespace) -> int:
    from assistant.prepare.checks import find_problems
    from assistant.prepare.deposit import default_destination
    from assistant.prepare.plan import make_plan
    from assistant.prepare.rules import load_rules
    from assistant.prepare.scan import scan_bid
    from assistant.prepare.workflow import estimate_problems

    rules = load_rules(args.rules, args.upload_test)
    root = args.folder.expanduser()
    destination = (args.out or default_destination(root)).expanduser()
    plan = apply_choices(make_plan(scan_bid(root, exclude=destination), rules), args.format, args.zip_as_is)
    estimate = _estimate(plan) if rules.upload_test_url else None
    if not args.key:
        problems = find_problems(plan) + estimate_problems(estimate)
        if args.json:
            print(json.dumps(_plan_json(plan, problems, estimate), ensure_ascii=False, indent=2))
        else:
            print_plan(plan, problems, estimate)
        return 1 if any(p.severity is Severity.ERROR for p in problems) else 0
    return _sign(args, plan, destination, estimate)


def _estimate(plan: BidPlan) -> UploadEstimate:
    from assistant.prepare.checks import deposit_size, deposited_files
    from assistant.prepare.estimate import estimate_upload, measure_upload
    from assistant.settings import Settings

    assert plan.rules.upload_test_url is not None
    print(_("Mesure du débit d'envoi vers la plateforme…"), file=sys.stderr, flush=True)
    measure = measure_upload(plan.rules.upload_test_url, verify=Settings.load().platform_ca_files or True)
    return estimate_upload(deposit_size(plan), deposited_files(plan), measure, deadline=plan.rules.deadline)


def _sign(args: argparse.Namespace, plan: BidPlan, destination: Path, estimate: UploadEstimate | None) -> int:
    from assistant.commands.verify import load_roots
    from assistant.keystores.selection import release
    from assistant.prepare.workflow import prepare_deposit
    from assistant.settings import Settings

    visible = visible_from(args)
    tsa_url = args.tsa or (Settings.load().tsa_url if args.level != "B-B" else None) or None
    credential = open_key(args.key, make_pin_callback(args.pin_env))
    try:
        outcome = prepare_deposit(
            plan,
            credential,
            destination,
            visible=visible,
            level=args.level,
            tsa_url=tsa_url,
            trust_roots=load_roots(args.trust),
            estimate=estimate,
            progress=_Printer() if not args.json else _ignore,
        )
    finally:
        release(credential)  # one login for the whole bid, closed at the end
    if args.json:
        data = _plan_json(plan, outcome.problems, estimate)
        data.update(
            {
                "ok": outcome.ok,
                "folder": str(outcome.result.folder) if outcome.result.folder else None,
                "summary": str(outcome.summary) if outcome.summary else None,
                "reports": str(outcome.reports) if outcome.reports else None,
                "signatures": [
                    {"file": v.label, "format": v.format.label, "accepted": v.ok, "verdict": v.verdict}
                    for v in outcome.views
                ],
                "failed": [
                    {"file": f.label, "error": f.error.to_dict() if f.error else None} for f in outcome.result.failed
                ],
            }
        )
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print_plan(plan, outcome.problems, estimate, signing=False)
        print()
        if outcome.result.folder is None:
            print(_("✗ Le dépôt n'a pas été créé : rien n'a été écrit."))
            for item in outcome.result.failed:
                print(
                    _("  ✗ {file} : {reason}").format(
                        file=item.label, reason=item.error.message if item.error else _("non signé")
                    )
                )
            return 1
        print(_("Ce que verra l'acheteur"))
        for view in outcome.views:
            print(f"  {'✓' if view.ok else '✗'} {view.label} ({view.format.label}) : {view.verdict}")
        print()
        print(_("Dossier à déposer : {folder}").format(folder=outcome.result.folder))
        print(_("Récapitulatif : {path}").format(path=outcome.summary))
        if outcome.reports is not None:
            print(_("Rapports de vérification : {path}").format(path=outcome.reports))
    return 0 if outcome.ok else 1


def print_plan(
    plan: BidPlan, problems: list[Problem], estimate: UploadEstimate | None, *, signing: bool = True
) -> None:
    from assistant.units import format_size

    print(_("Dossier de la réponse : {folder}").format(folder=plan.bid.root))
    print(_("{n} fichier(s), {size}").format(n=len(plan.files), size=format_size(plan.bid.total_size)))
    for item in plan.files:
        extra = ""
        if item.file.members:
            extra = (
                _(" — fichiers contenus signés d'abord") if item.sign_inside else _(" — ATTENTION : contenu non signé")
            )
        print(f"  {item.file.relative}  [{item.format.label}]{extra}")
    if estimate is not None:
        print()
        print(estimate.message)
    print()
    if not problems:
        print(_("✓ Aucun problème détecté."))
        return
    print(_("Problèmes détectés"))
    for problem in problems:
        print(f"  {'✗' if problem.severity is Severity.ERROR else '!'} {problem.message}")


def _plan_json(plan: BidPlan, problems: list[Problem], estimate: UploadEstimate | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "folder": str(plan.bid.root),
        "files": [
            {
                "file": str(p.file.relative),
                "lot": p.file.lot,
                "size": p.file.size,
                "format": p.format.label,
                "zip_members": len(p.file.members),
                "sign_inside": p.sign_inside,
            }
            for p in plan.files
        ],
        "problems": [p.to_dict() for p in problems],
    }
    if estimate is not None:
        data["upload_estimate"] = {
            "seconds": round(estimate.seconds, 1),
            "rate_bytes_per_second": round(estimate.rate),
            "total_bytes": estimate.total_bytes,
            "verdict": estimate.verdict.value,
            "latest_start": estimate.latest_start.isoformat() if estimate.latest_start else None,
            "message": estimate.message_fr,
            "message_en": estimate.message_en,
        }
    return data


class _Printer:
    def __init__(self) -> None:
        self._last = ""

    def __call__(self, update: ProgressUpdate) -> None:
        label = progress_label(update)
        if not label:
            return
        line = label + (f" : {update.element}" if update.element else "")
        if line != self._last and update.element:
            self._last = line
            print(line, file=sys.stderr, flush=True)


def _ignore(update: ProgressUpdate) -> None:
    pass


__all__ = ["configure", "run"]
