"""The workstation checks that need no network: system, assistant, certificate stores, browsers.

Each check returns `CheckResult`s and never raises: a check that breaks is itself a finding
("non vérifié", with the reason), and the rest of the report still runs. The key stores are reached
only through the keystores package (discovery and inventory), without ever asking for a PIN:
listing certificates needs none.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant import APP_NAME, __version__
from assistant.diagnostics.report import CheckResult, Status, not_checked
from assistant.i18n import N_, _
from assistant.settings import Settings

LABEL_OS = N_("Système d'exploitation")
LABEL_ASSISTANT = APP_NAME
LABEL_RUNTIME = N_("Version de l'environnement présent")
LABEL_STORES = N_("Accès au magasin de certificats")
LABEL_PKCS11 = N_("Cartes à puce et clés USB (PKCS#11)")
LABEL_PKCS12 = N_("Fichiers de certificat (.p12/.pfx)")
LABEL_CERTIFICATES = N_("Certificats de signature utilisables")
LABEL_BROWSERS = N_("Version du navigateur Web")
LABEL_BRIDGE_TRUST = N_("Confiance des navigateurs dans le pont local")

#: Executables looked up on PATH, with the name shown to the user.
BROWSERS: tuple[tuple[str, str], ...] = (
    ("chromium", "Chromium"),
    ("chromium-browser", "Chromium"),
    ("google-chrome", "Google Chrome"),
    ("google-chrome-stable", "Google Chrome"),
    ("microsoft-edge", "Microsoft Edge"),
    ("firefox", "Firefox"),
    ("firefox-esr", "Firefox ESR"),
)


def guarded(check_id: str, label: str, func: Callable[[], list[CheckResult]]) -> list[CheckResult]:
    """Run one check; an unexpected failure becomes a "non vérifié" line instead of a crash."""
    try:
        return func()
    except Exception as exc:  # a diagnostic must report, not fail
        return [
            not_checked(
                check_id,
                label,
                _("Ce point n'a pas pu être vérifié ({name} : {exc}).").format(name=type(exc).__name__, exc=exc),
            )
        ]


# --------------------------------------------------------------------------------------------
# System and assistant


def os_description() -> str:
    system = platform.system()
    if system == "Linux":
        try:
            release = platform.freedesktop_os_release()
            return release.get("PRETTY_NAME") or f"{release.get('NAME', 'Linux')} {release.get('VERSION', '')}".strip()
        except OSError:
            return f"Linux {platform.release()}"
    if system == "Darwin":
        return f"macOS {platform.mac_ver()[0]}"
    if system == "Windows":
        return f"Windows {platform.release()} ({platform.version()})"
    return f"{system} {platform.release()}"


def check_os() -> list[CheckResult]:
    description = os_description()
    supported = platform.system() in ("Linux", "Windows", "Darwin")
    machine = platform.machine()
    details = (f"Noyau : {platform.release()}", f"Architecture : {machine}")
    if not supported:
        return [
            CheckResult(
                "os",
                _(LABEL_OS),
                Status.WARNING,
                description,
                _("Ce système n'est pas parmi ceux que l'assistant prend en charge (Windows, macOS, Linux)."),
                _("Utilisez un poste Windows, macOS ou Linux pour répondre ou dépouiller."),
                details,
            )
        ]
    return [CheckResult("os", _(LABEL_OS), Status.OK, description, f"{description} ({machine}).", details=details)]


def check_assistant() -> list[CheckResult]:
    return [
        CheckResult(
            "assistant",
            _(LABEL_ASSISTANT),
            Status.OK,
            _("Installé, version {version}").format(version=__version__),
            _("{app_name} {version} est installé et lancé sur ce poste.").format(
                app_name=APP_NAME, version=__version__
            ),
        )
    ]


def _dist_version(*names: str) -> str | None:
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def check_runtime() -> list[CheckResult]:
    """Python, Qt and the libraries that do the cryptography (read from metadata: Qt is not imported)."""
    python = platform.python_version()
    qt = _dist_version("PySide6-Essentials", "PySide6")
    libs = {
        "cryptography": _dist_version("cryptography"),
        "pyHanko": _dist_version("pyHanko", "pyhanko"),
        "python-pkcs11": _dist_version("python-pkcs11"),
    }
    try:
        import ssl

        openssl = ssl.OPENSSL_VERSION
    except ImportError:  # pragma: no cover - Python without ssl
        openssl = "absent"
    details = tuple(
        [f"Python {sys.version.split()[0]} ({sys.executable})", f"{openssl}"]
        + [f"{name} {version or 'absent'}" for name, version in libs.items()]
    )
    value = f"Python {python}, Qt {qt}" if qt else f"Python {python}"
    missing = [name for name, version in libs.items() if version is None and name != "python-pkcs11"]
    if missing:
        return [
            CheckResult(
                "runtime",
                _(LABEL_RUNTIME),
                Status.ERROR,
                value,
                f"Composants manquants : {', '.join(missing)}.",
                _("Réinstallez l'assistant depuis le paquet officiel."),
                details,
            )
        ]
    if qt is None:
        return [
            CheckResult(
                "runtime",
                _(LABEL_RUNTIME),
                Status.WARNING,
                value,
                _(
                    "L'interface graphique (Qt) n'est pas installée : l'assistant ne fonctionne qu'en ligne de commande."
                ),
                _("Installez l'assistant complet pour disposer de la fenêtre et de l'icône de notification."),
                details,
            )
        ]
    return [CheckResult("runtime", _(LABEL_RUNTIME), Status.OK, value, _("Environnement complet."), details=details)]


# --------------------------------------------------------------------------------------------
# Certificate stores


def _optional_module(name: str) -> Any | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _store_kind(store: Any) -> str:
    kind = getattr(store, "kind", "")
    return str(getattr(kind, "value", kind))


def _store_label(store: Any) -> str:
    for attr in ("label", "name", "display_name"):
        value = getattr(store, attr, None)
        if isinstance(value, str) and value:
            return value
    ref = getattr(store, "ref", None) or getattr(store, "store_ref", None)
    if ref is not None and isinstance(getattr(ref, "label", None), str):
        return str(ref.label)
    return type(store).__name__


def check_stores(settings: Settings) -> list[CheckResult]:
    """Open every store the way signing does (no PIN) and report what answers."""
    from assistant.keystores import discovery
    from assistant.keystores.base import no_pin

    store_set = discovery.open_all_stores(no_pin, settings)
    try:
        by_kind: dict[str, list[str]] = {}
        for store in store_set.stores:
            by_kind.setdefault(_store_kind(store), []).append(_store_label(store))
        errors = [str(getattr(err, "message", err)) for err in store_set.errors]
    finally:
        store_set.close()
    return [
        _nss_result(by_kind.get("nss", []), errors, settings, other_stores=len(store_set.stores)),
        _pkcs11_result(by_kind.get("pkcs11", []), errors, discovery),
    ]


def _nss_result(stores: list[str], errors: list[str], settings: Settings, *, other_stores: int = 0) -> CheckResult:
    nss_errors = tuple(e for e in errors if "NSS" in e or "nss" in e)
    if stores and not nss_errors:
        return CheckResult(
            "stores",
            _(LABEL_STORES),
            Status.OK,
            "Magasin accessible",
            _("{n_stores} magasin(s) de certificats du système accessible(s).").format(n_stores=len(stores)),
            details=tuple(stores),
        )
    if nss_errors:
        return CheckResult(
            "stores",
            _(LABEL_STORES),
            Status.ERROR if not stores else Status.WARNING,
            "Magasin inaccessible" if not stores else _("Accès partiel"),
            _("Un magasin de certificats du système n'a pas pu être ouvert : ") + nss_errors[0],
            _(
                "Fermez Firefox ou Chrome puis relancez le test ; si le problème persiste, contactez votre service informatique."
            ),
            tuple(stores) + nss_errors,
        )
    default_db = Path.home() / ".pki" / "nssdb"
    if other_stores:
        return CheckResult(
            "stores",
            _(LABEL_STORES),
            Status.OK,
            _("Magasin accessible (carte ou fichier)"),
            _(
                "Pas de magasin de certificats du système (base NSS de Chrome ou de Firefox) ; vos certificats sont lus sur votre carte, votre clé USB ou vos fichiers."
            ),
            details=(_("Recherché : {default_db}").format(default_db=default_db), *settings.nss_databases),
        )
    return CheckResult(
        "stores",
        _(LABEL_STORES),
        Status.WARNING,
        _("Aucun magasin système trouvé"),
        _("Aucun magasin de certificats du système (base NSS de Chrome ou de Firefox) n'a été trouvé sur ce poste."),
        _(
            "Si votre certificat est sur une carte à puce ou dans un fichier .p12, ce n'est pas nécessaire ; sinon, importez votre certificat (page « Mes certificats »)."
        ),
        (_("Recherché : {default_db}").format(default_db=default_db), *settings.nss_databases),
    )


def _module_paths(discovery: Any) -> list[str]:
    for name in ("find_modules", "discover_modules", "pkcs11_modules", "list_modules"):
        func = getattr(discovery, name, None)
        if callable(func):
            try:
                found = func()
            except TypeError:
                continue
            return [str(getattr(item, "path", item)) for item in found]
    return []


def _pkcs11_result(tokens: list[str], errors: list[str], discovery: Any) -> CheckResult:
    modules = _module_paths(discovery)
    token_errors = tuple(e for e in errors if "NSS" not in e and "nss" not in e and ".p12" not in e)
    details = tuple([f"Module : {m}" for m in modules] + [f"Support : {t}" for t in tokens] + list(token_errors))
    if tokens:
        return CheckResult(
            "pkcs11",
            _(LABEL_PKCS11),
            Status.OK,
            _("{n_tokens} support(s) présent(s)").format(n_tokens=len(tokens)),
            _("Carte(s) à puce ou clé(s) USB détectée(s) : ") + ", ".join(tokens) + ".",
            details=details,
        )
    if token_errors:
        return CheckResult(
            "pkcs11",
            _(LABEL_PKCS11),
            Status.WARNING,
            "Support illisible",
            _("Un pilote de carte à puce est installé mais le support n'a pas pu être lu : ") + token_errors[0],
            _("Retirez puis réinsérez la carte ou la clé USB, puis relancez le test."),
            details,
        )
    if modules:
        return CheckResult(
            "pkcs11",
            _(LABEL_PKCS11),
            Status.OK,
            _("Aucune carte insérée"),
            _("{n_modules} pilote(s) de carte à puce installé(s), aucune carte ou clé USB insérée.").format(
                n_modules=len(modules)
            ),
            _("Si votre certificat est sur une carte ou une clé USB, insérez-la puis relancez le test."),
            details,
        )
    # Not a green mark: without a driver, a certificate on a card or USB key cannot be used.
    return CheckResult(
        "pkcs11",
        _(LABEL_PKCS11),
        Status.WARNING,
        _("Aucun pilote installé"),
        _("Aucun pilote de carte à puce ou de clé USB (PKCS#11) n'est installé."),
        _(
            "Si votre certificat est sur une carte ou une clé USB, installez le pilote fourni par votre autorité de certification."
        ),
        details,
    )


def check_pkcs12(settings: Settings) -> list[CheckResult]:
    """The .p12/.pfx files the user registered are still there (their password is not asked)."""
    return [_pkcs12_result(settings)]


def _pkcs12_result(settings: Settings) -> CheckResult:
    configured = [Path(p) for p in settings.pkcs12_files]
    missing = [p for p in configured if not p.is_file()]
    details = tuple(str(p) for p in configured)
    if missing:
        return CheckResult(
            "pkcs12",
            _(LABEL_PKCS12),
            Status.WARNING,
            _("{n_missing} fichier(s) introuvable(s)").format(n_missing=len(missing)),
            _("Un fichier de certificat enregistré dans l'assistant n'existe plus : ")
            + ", ".join(p.name for p in missing)
            + ".",
            _("Ajoutez à nouveau le fichier depuis la page « Mes certificats », ou retirez-le."),
            details,
        )
    if not configured:
        return CheckResult(
            "pkcs12", _(LABEL_PKCS12), Status.OK, _("Aucun fichier"), _("Aucun fichier de certificat n'est enregistré.")
        )
    return CheckResult(
        "pkcs12",
        _(LABEL_PKCS12),
        Status.OK,
        _("{n_configured} fichier(s) accessible(s)").format(n_configured=len(configured)),
        _("Les fichiers de certificat enregistrés sont lisibles."),
        details=details,
    )


def check_certificates(settings: Settings) -> list[CheckResult]:
    """How many certificates could sign a bid today, per the inventory's verdicts."""
    from assistant.keystores import inventory as inventory_mod
    from assistant.keystores.base import no_pin

    entries = inventory_mod.list_certificates(no_pin, settings).entries
    usable = [e for e in entries if e.verdict.usable_for_signature]
    qualified = [e for e in usable if e.verdict.qualified]
    details = tuple(f"{e.subject} : {e.verdict.label}" for e in entries)
    if not usable:
        return [
            CheckResult(
                "certificates",
                _(LABEL_CERTIFICATES),
                Status.WARNING,
                _("Aucun certificat de signature"),
                _("{n_entries} certificat(s) trouvé(s), aucun ne permet de signer aujourd'hui.").format(
                    n_entries=len(entries)
                )
                if entries
                else _("Aucun certificat n'a été trouvé sur ce poste."),
                _(
                    "Insérez votre carte ou clé USB de signature, ou importez votre certificat (.p12) depuis la page « Mes certificats ». Un certificat de signature qualifié (eIDAS, RGS) est requis pour signer une offre."
                ),
                details,
            )
        ]
    if not qualified:
        # Signing works, but not with what buyers ask for: a warning with the fix, not a green mark.
        return [
            CheckResult(
                "certificates",
                _(LABEL_CERTIFICATES),
                Status.WARNING,
                _("{n_usable} certificat(s), aucun qualifié").format(n_usable=len(usable)),
                _(
                    "{n_usable} certificat(s) permettent de signer, mais aucun n'est qualifié : la plupart des consultations exigent une signature avec un certificat qualifié."
                ).format(n_usable=len(usable)),
                _(
                    "Procurez-vous un certificat de signature qualifié (eIDAS, RGS) auprès d'une autorité de certification, puis insérez la carte ou importez le fichier depuis « Mes certificats »."
                ),
                details,
            )
        ]
    return [
        CheckResult(
            "certificates",
            _(LABEL_CERTIFICATES),
            Status.OK,
            _("{n_usable} certificat(s), dont {n_qualified} qualifié(s)").format(
                n_usable=len(usable), n_qualified=len(qualified)
            ),
            _(
                "{n_usable} certificat(s) permettent de signer ; {n_qualified} adapté(s) pour les marchés publics."
            ).format(n_usable=len(usable), n_qualified=len(qualified)),
            details=details,
        )
    ]


# --------------------------------------------------------------------------------------------
# Browsers and the bridge's CA


_VERSION_RE = re.compile(r"(\d+(?:\.\d+){1,3})")


def browser_version(executable: str, timeout: float = 10.0) -> str | None:
    """`<browser> --version`; None when it does not answer."""
    try:
        completed = subprocess.run(
            [executable, "--version"],
            capture_output=True,
            timeout=timeout,
            text=True,
            env={**os.environ, "MOZ_HEADLESS": "1"},
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_RE.search(completed.stdout or "")
    return match.group(1) if match else None


def find_browsers() -> list[tuple[str, str, str]]:
    """(display name, executable path, version) of each browser found, one per real executable."""
    seen: set[str] = set()
    found: list[tuple[str, str, str]] = []
    for command, display in BROWSERS:
        path = shutil.which(command)
        if not path:
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        found.append((display, path, browser_version(path) or "version inconnue"))
    return found


def check_browsers() -> list[CheckResult]:
    browsers = find_browsers()
    details = tuple(f"{name} {version} ({path})" for name, path, version in browsers)
    if not browsers:
        return [
            CheckResult(
                "browsers",
                _(LABEL_BROWSERS),
                Status.WARNING,
                _("Aucun navigateur trouvé"),
                _("Aucun navigateur pris en charge (Chrome, Chromium, Edge, Firefox) n'a été trouvé."),
                _("Installez un navigateur récent (Firefox, Chrome ou Edge) pour accéder à la plateforme."),
            )
        ]
    value = ", ".join(f"{name} {version}" for name, _path, version in browsers)
    return [
        CheckResult("browsers", _(LABEL_BROWSERS), Status.OK, value, _("Navigateur(s) installé(s)."), details=details)
    ]


def check_bridge_trust() -> list[CheckResult]:
    """Ask the bridge whether each browser's trust store holds its local CA."""
    ca_mod = _optional_module("assistant.bridge.ca")
    trust = _optional_module("assistant.bridge.trust")
    if ca_mod is None or trust is None or not hasattr(trust, "status"):
        return [
            not_checked(
                "bridge_trust",
                _(LABEL_BRIDGE_TRUST),
                _("Cette version ne sait pas vérifier la confiance des navigateurs dans le pont local."),
            )
        ]
    identity = ca_mod.load()
    if identity is None:
        return [
            not_checked(
                "bridge_trust",
                _(LABEL_BRIDGE_TRUST),
                _("Le pont local n'a pas encore été démarré sur ce poste : son certificat n'existe pas encore."),
                _("Lancez l'assistant (assistant run), puis relancez le test."),
            )
        ]
    statuses = trust.status(identity)
    return [_bridge_trust_result(statuses)]


def _bridge_trust_result(statuses: Any) -> CheckResult:
    """Accepts a mapping {store or browser: bool} or a list of objects with .trusted and a name."""
    pairs: list[tuple[str, bool]] = []
    absent: list[str] = []
    if isinstance(statuses, dict):
        pairs = [(str(k), bool(v)) for k, v in statuses.items()]
    else:
        for item in statuses or []:
            target = getattr(item, "target", item)
            name = next(
                (str(getattr(target, a)) for a in ("browser", "label", "name") if getattr(target, a, None)),
                str(target),
            )
            if getattr(item, "detail", "") == "base NSS absente":
                absent.append(name)  # a browser never started: nothing to trust yet
                continue
            pairs.append((name, bool(getattr(item, "trusted", False))))
    if not pairs:
        return not_checked(
            "bridge_trust",
            _(LABEL_BRIDGE_TRUST),
            _("Aucun magasin de navigateur n'a été trouvé à vérifier."),
            details=tuple(f"{name} : magasin absent" for name in absent),
        )
    missing = [name for name, ok in pairs if not ok]
    details = tuple(f"{name} : {'oui' if ok else 'non'}" for name, ok in pairs) + tuple(
        f"{name} : magasin absent" for name in absent
    )
    if missing:
        return CheckResult(
            "bridge_trust",
            _(LABEL_BRIDGE_TRUST),
            Status.WARNING,
            _("Non reconnu par : {join}").format(join=", ".join(missing)),
            _(
                "Ces navigateurs ne reconnaissent pas encore le certificat du pont local de l'assistant : la page de la plateforme risque d'afficher « Hors ligne »."
            ),
            _(
                "Lancez « assistant bridge trust » (ou acceptez la proposition de l'assistant au démarrage), puis redémarrez le navigateur."
            ),
            details,
        )
    return CheckResult(
        "bridge_trust",
        _(LABEL_BRIDGE_TRUST),
        Status.OK,
        _("Reconnu par tous les navigateurs"),
        _("Les navigateurs de ce poste reconnaissent le pont local de l'assistant."),
        details=details,
    )
