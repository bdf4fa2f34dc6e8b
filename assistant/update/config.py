"""Where updates come from and whether to look: the user's settings, overridden by IT's policy.

IT policy file (JSON, read-only for users), first found of:
- $ASSISTANT_POLICY_FILE (tests, or a deployment tool's own path);
- Linux: /etc/assistant-marches-publics/policy.json (the .deb installs one that turns updates off:
  the package manager updates it);
- Windows: %ProgramData%\\AssistantMarchesPublics\\policy.json;
- macOS: /Library/Application Support/assistant-marches-publics/policy.json.

    {"updates": {"enabled": false}}                                   no automatic updates
    {"updates": {"repository_url": "https://mises-a-jour.intranet"}}  an internal mirror
    {"updates": {"interval_hours": 168}}                              weekly
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant import APP_ID
from assistant.i18n import _
from assistant.settings import Settings

POLICY_ENV = "ASSISTANT_POLICY_FILE"
#: Where the publisher's repository is, when neither the settings nor a policy say otherwise.
#: Release builds fill it from installers/update/source.json (bundled next to root.json).
SOURCE_FILE = Path(__file__).with_name("source.json")
ROOT_FILE = Path(__file__).with_name("root.json")


def policy_path() -> Path:
    override = os.environ.get(POLICY_ENV)
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("PROGRAMDATA", r"C:\ProgramData")) / "AssistantMarchesPublics" / "policy.json"
    if sys.platform == "darwin":
        return Path("/Library/Application Support") / APP_ID / "policy.json"
    return Path("/etc") / APP_ID / "policy.json"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class UpdateConfig:
    enabled: bool
    repository_url: str
    interval_hours: float
    #: Who decided: "policy" (IT), "settings" (the user) or "default".
    decided_by: str

    @property
    def metadata_url(self) -> str:
        return self.repository_url.rstrip("/") + "/metadata/"

    @property
    def targets_url(self) -> str:
        return self.repository_url.rstrip("/") + "/targets/"

    @property
    def disabled_reason(self) -> str | None:
        """Why no check happens, in the user's language (None when checks run)."""
        if not self.enabled:
            if self.decided_by == "policy":
                return _("Mises à jour automatiques désactivées par votre service informatique.")
            return _("Mises à jour automatiques désactivées dans les réglages.")
        if not self.repository_url:
            return _("Aucun dépôt de mises à jour n'est configuré.")
        return None


def load_config(settings: Settings | None = None) -> UpdateConfig:
    settings = settings or Settings.load()
    source = _read_json(SOURCE_FILE)
    url = str(settings.update_repository_url or source.get("repository_url") or "")
    enabled = bool(settings.update_check)
    interval = float(settings.update_interval_hours or 24)
    decided_by = "settings" if (settings.update_repository_url or not settings.update_check) else "default"
    policy = _read_json(policy_path()).get("updates")
    if isinstance(policy, dict):
        if "enabled" in policy:
            enabled = bool(policy["enabled"])
            decided_by = "policy"
        if isinstance(policy.get("repository_url"), str):
            url = policy["repository_url"]
            decided_by = "policy"
        if isinstance(policy.get("interval_hours"), int | float) and policy["interval_hours"] > 0:
            interval = float(policy["interval_hours"])
    return UpdateConfig(enabled=enabled, repository_url=url, interval_hours=max(interval, 1.0), decided_by=decided_by)
