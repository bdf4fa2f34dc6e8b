"""User settings, a small JSON file in the config folder.

Settings are data the user chose (TSA URL, extra PKCS#11 modules, allowed hosts). They never hold
secrets: those go to the OS keyring (see assistant.secrets). Unknown keys are kept so that a newer
version's settings survive a downgrade.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.files import write_json_atomic

SETTINGS_FILE = "settings.json"
#: The settings file's format. 1 (no `settings_version` key): `language` defaulted to "fr" and
#: every save wrote it, so "fr" there is the old default, not a choice. 2: "" follows the system.
SETTINGS_VERSION = 2


@dataclass
class Settings:
    #: RFC 3161 timestamp authority used for B-T signatures when none is given.
    tsa_url: str = ""
    #: PKCS#11 modules the user added by hand (absolute paths). Never filled from a page or a job.
    pkcs11_modules: list[str] = field(default_factory=list)
    #: Look for the well-known middleware paths and p11-kit's registry.
    pkcs11_autodiscover: bool = True
    #: Extra NSS databases (directories) to list besides ~/.pki/nssdb and Firefox profiles.
    nss_databases: list[str] = field(default_factory=list)
    #: PKCS#12 files the user added to the inventory.
    pkcs12_files: list[str] = field(default_factory=list)
    #: Hosts (besides a job's own origin) that job descriptors may name.
    allowed_hosts: list[str] = field(default_factory=list)
    #: Extra certificate authorities (PEM files) trusted for platforms' HTTPS, on top of the
    #: system's roots: an enterprise CA, a TLS-inspecting proxy's CA, `assistant demo --tls`'s CA.
    #: Set by the local user only (settings file); never from a page or a job descriptor.
    platform_ca_files: list[str] = field(default_factory=list)
    #: Origins of platforms the user approved for the bridge.
    approved_origins: list[str] = field(default_factory=list)
    #: The names the user gave platforms, by origin (shown instead of the address; "Options avancées").
    platform_names: dict[str, str] = field(default_factory=dict)
    #: The folder the user last chose for a platform's bulk downloads, by the platform's origin
    #: (proposed again next time). Only the user's own choice in the assistant fills it.
    download_folders: dict[str, str] = field(default_factory=dict)
    #: The EU List of Trusted Lists `assistant trusted-lists update` reads ("" = the Commission's).
    trusted_lists_url: str = ""
    #: PEM files of the certificates that may sign that list (as the Official Journal publishes
    #: them). Set by the local user only; the national lists' signers come from the LOTL itself.
    trusted_lists_certs: list[str] = field(default_factory=list)
    #: Certificate files (PEM or DER) the user trusts as anchors when verifying signatures, on top
    #: of the system's: a private or company CA. Set by the local user only ("Options avancées");
    #: every verification applies them, a page's too, but no page or job descriptor can add one.
    verify_trust_anchors: list[str] = field(default_factory=list)
    #: Bridge port; the page tries the fallbacks in order.
    bridge_port: int = 17443
    #: "fr", "en", or "" to follow the system (ASSISTANT_LANG overrides it; see assistant.i18n).
    language: str = ""
    #: Automatic updates (assistant.update): look at start, then every `update_interval_hours`.
    #: An IT policy file overrides these (assistant/update/config.py).
    update_check: bool = True
    #: The TUF repository (its metadata/ and targets/ folders' parent); empty: the publisher's.
    update_repository_url: str = ""
    update_interval_hours: float = 24
    #: The format this file was written in (see SETTINGS_VERSION); loading migrates older ones.
    settings_version: int = SETTINGS_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # A single path typed by hand instead of a list still means "this one file".
        if isinstance(self.platform_ca_files, str):
            self.platform_ca_files = [self.platform_ca_files]

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        path = path or paths.config_dir() / SETTINGS_FILE
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in raw.items() if k in known and k != "extra"}
        extra = {k: v for k, v in raw.items() if k not in known}
        settings = cls(**values)
        settings.extra = extra
        _migrate(settings, raw.get("settings_version", 1))
        return settings

    def save(self, path: Path | None = None) -> None:
        """Write atomically: a crash mid-write must not lose the user's settings."""
        path = path or paths.config_dir() / SETTINGS_FILE
        data = asdict(self)
        extra = data.pop("extra")
        data.update(extra)
        write_json_atomic(path, data, indent=2)


def _migrate(settings: Settings, version: object) -> None:
    """Bring a file written by an older version to today's meaning (saved so on the next save)."""
    # Version 1 wrote language="fr" for everyone (the old default): French on an English system
    # although nobody chose it. Follow the system instead; a user who wants French anyway chooses
    # it again in "Options avancées" (written with version 2, kept).
    if (not isinstance(version, int) or version < 2) and settings.language == "fr":
        settings.language = ""
    settings.settings_version = SETTINGS_VERSION
