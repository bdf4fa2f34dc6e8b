"""Check the publisher's TUF repository, download this OS's new release, stage it for next start.

Only python-tuf's ngclient decides what is trusted: it refreshes root (following rotations),
timestamp, snapshot and targets, checking signatures against the keys of the root the bundle
shipped with, thresholds, versions (no rollback) and expiry (no freeze); a target is written only
after its length and SHA-256 match the signed targets metadata. Each refusal is turned into one
sentence saying why (`UpdateCheck.message`, in the user's language), and nothing is staged then.

What is published per OS: `releases/<os>.json` (version, target path, min_version) and the archive.
The minimum version is recorded as soon as it is verified (assistant.update.gate reads it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import sys
import tarfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from assistant import __version__, paths
from assistant.i18n import _
from assistant.update.apply import PENDING
from assistant.update.config import ROOT_FILE, UpdateConfig
from assistant.update.gate import status_path
from assistant.update.layout import InstallLayout
from assistant.update.versions import is_newer, parse_version

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpdateCheck:
    """The outcome of one check, for the CLI, the window and the logs."""

    #: up_to_date | staged | available | refused | disabled | error
    state: str
    installed: str
    message: str
    latest: str | None = None
    min_version: str | None = None
    #: Why a refusal: tampered, wrong_key, expired, frozen, rollback, older_version, inconsistent.
    reason: str | None = None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def current_os() -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def _refusal(exc: Exception) -> tuple[str, str]:
    """(reason code, French sentence) for an ngclient exception."""
    from tuf.api import exceptions as tuf_errors

    text = str(exc)
    if isinstance(exc, tuf_errors.LengthOrHashMismatchError):
        return (
            "tampered",
            _(
                "Le fichier de mise à jour téléchargé ne correspond pas à l'empreinte signée par l'éditeur (fichier altéré) : mise à jour refusée."
            ),
        )
    if isinstance(exc, tuf_errors.UnsignedMetadataError):
        return (
            "wrong_key",
            _(
                "Les informations de mise à jour ne sont pas signées par une clé de l'éditeur ({text}) : mise à jour refusée."
            ).format(text=text),
        )
    if isinstance(exc, tuf_errors.ExpiredMetadataError):
        if "timestamp" in text:
            return (
                "frozen",
                _(
                    "Le dépôt de mises à jour sert des informations périmées (horodatage expiré : dépôt gelé ou bloqué) : mise à jour refusée."
                ),
            )
        return "expired", _("Les informations de mise à jour ont expiré ({text}) : mise à jour refusée.").format(
            text=text
        )
    if isinstance(exc, tuf_errors.BadVersionNumberError):
        return (
            "rollback",
            _(
                "Le dépôt de mises à jour sert des informations plus anciennes que celles déjà vues (retour en arrière : {text}) : mise à jour refusée."
            ).format(text=text),
        )
    if isinstance(exc, tuf_errors.DownloadError):
        return "network", _("Dépôt de mises à jour injoignable ({text}).").format(text=text)
    if isinstance(exc, tuf_errors.RepositoryError):
        return "invalid", _("Informations de mise à jour invalides ({text}) : mise à jour refusée.").format(text=text)
    return "error", _("Vérification des mises à jour impossible ({name}: {text}).").format(
        name=exc.__class__.__name__, text=text
    )


def _metadata_dir() -> Path:
    folder = paths.data_dir() / "update" / "metadata"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _record_status(check: UpdateCheck) -> None:
    """Keep the last verified outcome (min_version for the gate, the message for the window)."""
    path = status_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    previous: dict[str, object] = {}
    with contextlib.suppress(OSError, ValueError):
        previous = json.loads(path.read_text(encoding="utf-8"))
    data = previous | check.to_dict() | {"checked_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if check.state == "refused" or check.state == "error":
        data["min_version"] = previous.get("min_version")  # an unverified answer changes nothing
        data["latest"] = previous.get("latest")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def check_for_update(
    config: UpdateConfig,
    *,
    installed: str | None = None,
    layout: InstallLayout | None = None,
    os_name: str | None = None,
    trusted_root: Path | None = None,
) -> UpdateCheck:
    """Refresh the TUF metadata, and when a newer release exists for this OS, download it and
    (with an install layout) stage it for the next start. Never raises for repository trouble."""
    installed = installed or __version__
    reason = config.disabled_reason
    if reason:
        return UpdateCheck(state="disabled", installed=installed, message=reason)
    try:
        check = _check(config, installed, layout, os_name or current_os(), trusted_root or ROOT_FILE)
    except Exception as exc:  # every ngclient refusal, and anything unexpected, named for the user
        code, message = _refusal(exc)
        log.warning("update refused (%s): %s", code, exc)
        check = UpdateCheck(
            state="error" if code in ("network", "error") else "refused",
            installed=installed,
            message=message,
            reason=code,
        )
    _record_status(check)
    return check


def _updater(config: UpdateConfig, trusted_root: Path, download_dir: Path):  # type: ignore[no-untyped-def]
    from tuf.ngclient import Updater, UpdaterConfig

    from assistant import APP_NAME

    metadata_dir = _metadata_dir()
    bootstrap = None
    if not (metadata_dir / "root.json").is_file():
        if not trusted_root.is_file():
            raise FileNotFoundError(_("racine de confiance absente ({trusted_root})").format(trusted_root=trusted_root))
        bootstrap = trusted_root.read_bytes()
    return Updater(
        metadata_dir=str(metadata_dir),
        metadata_base_url=config.metadata_url,
        target_dir=str(download_dir),
        target_base_url=config.targets_url,
        config=UpdaterConfig(app_user_agent=f"{APP_NAME.replace(' ', '')}/{__version__}"),
        bootstrap=bootstrap,
    )


def _check(
    config: UpdateConfig, installed: str, layout: InstallLayout | None, os_name: str, trusted_root: Path
) -> UpdateCheck:
    from assistant.update.publish import index_path

    download_dir = paths.cache_dir() / "update"
    download_dir.mkdir(parents=True, exist_ok=True)
    updater = _updater(config, trusted_root, download_dir)
    updater.refresh()
    index_info = updater.get_targetinfo(index_path(os_name))
    if index_info is None:
        return UpdateCheck(
            state="up_to_date", installed=installed, message=_("Aucune version publiée pour ce système.")
        )
    index_file = updater.download_target(index_info, filepath=str(download_dir / f"index-{os_name}.json"))
    index = json.loads(Path(index_file).read_text(encoding="utf-8"))
    latest = str(index["version"])
    minimum = index.get("min_version") or None
    parse_version(latest)
    if minimum is not None:
        parse_version(minimum)
    if is_newer(installed, latest):
        return UpdateCheck(
            state="refused",
            installed=installed,
            latest=latest,
            min_version=minimum,
            reason="older_version",
            message=_(
                "La version publiée ({latest}) est plus ancienne que la version installée ({installed}) : retour en arrière refusé."
            ).format(latest=latest, installed=installed),
        )
    if latest == installed:
        return UpdateCheck(
            state="up_to_date",
            installed=installed,
            latest=latest,
            min_version=minimum,
            message=_("L'assistant est à jour ({installed}).").format(installed=installed),
        )
    target_info = updater.get_targetinfo(str(index["target"]))
    custom = (target_info.unrecognized_fields.get("custom") or {}) if target_info else {}
    if target_info is None or custom.get("version") != latest or custom.get("os") != os_name:
        return UpdateCheck(
            state="refused",
            installed=installed,
            latest=latest,
            min_version=minimum,
            reason="inconsistent",
            message=_("L'index des versions ne correspond pas au fichier publié : mise à jour refusée."),
        )
    archive = Path(updater.find_cached_target(target_info) or updater.download_target(target_info))
    if layout is None:
        return UpdateCheck(
            state="available",
            installed=installed,
            latest=latest,
            min_version=minimum,
            message=_(
                "La version {latest} est disponible (téléchargée et vérifiée ; installation manuelle pour ce mode d'installation)."
            ).format(latest=latest),
        )
    stage_release(layout, archive, latest)
    return UpdateCheck(
        state="staged",
        installed=installed,
        latest=latest,
        min_version=minimum,
        message=_("La version {latest} est prête : elle sera installée au prochain démarrage de l'assistant.").format(
            latest=latest
        ),
    )


def stage_release(layout: InstallLayout, archive: Path, version: str) -> Path:
    """Unpack a verified archive's `bundle/` folder (the Linux/Windows bundle, or the macOS .app in
    it) into the layout's staged folder for `version`, and mark it pending for the next start."""
    staged_root = layout.staged_dir
    staged_root.mkdir(parents=True, exist_ok=True)
    final = layout.staged_bundle(version)
    partial = staged_root / f".{version}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    with tarfile.open(archive) as tar:
        # AppleDouble `._*` entries (a macOS tar's extended attributes) would break the .app's seal.
        members = [
            m
            for m in tar.getmembers()
            if m.name.split("/", 2)[1:2] == ["bundle"] and not Path(m.name).name.startswith("._")
        ]
        if not members:
            shutil.rmtree(partial, ignore_errors=True)
            raise ValueError(_("archive sans dossier bundle/"))
        tar.extractall(partial, members=members, filter="data")
    (top,) = list(partial.iterdir())
    shutil.rmtree(final, ignore_errors=True)
    os.replace(top / "bundle", final)
    shutil.rmtree(partial, ignore_errors=True)
    if not layout.staged_program(version).is_file():
        shutil.rmtree(final, ignore_errors=True)
        raise ValueError(_("archive sans exécutable"))
    pending = staged_root / PENDING
    tmp = staged_root / f".{PENDING}.tmp"
    tmp.write_text(
        json.dumps({"version": version, "staged_at": datetime.now(UTC).isoformat(timespec="seconds")}), encoding="utf-8"
    )
    os.replace(tmp, pending)
    return final
