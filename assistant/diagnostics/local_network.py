"""Local Network Access: may the platform's pages reach the assistant on 127.0.0.1 in each browser?

Browsers now ask the user before a public web page may call a loopback address: Chrome and
Chromium from 142 (the `loopback-network` permission from 145), Edge likewise (the
`LoopbackNetworkAllowedForUrls` policy from 146), Firefox from 147 (`LocalNetworkAccess`). An
enterprise can allow its procurement platform once for everyone with a policy instead. This check
reports each browser's version, whether Local Network Access applies to it, whether a policy
already allows the platform, and prints the exact policy IT must deploy (Chrome/Edge GPO registry
values and Linux JSON, Firefox policies.json). `policy_texts(origin)` is also what
`assistant bridge lna-policy URL` prints.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.diagnostics.checks import find_browsers
from assistant.diagnostics.report import CheckResult, Status
from assistant.i18n import N_, _

LABEL = N_("Accès au réseau local (navigateurs)")
PLACEHOLDER = "https://votre-plateforme.example"

#: Policy names that exempt a site from the loopback checks (the newest first).
CHROMIUM_POLICIES = (
    "LoopbackNetworkAllowedForUrls",
    "LoopbackNetworkAccessAllowedForUrls",
    "LocalNetworkAccessAllowedForUrls",
)


@dataclass(frozen=True)
class Family:
    key: str
    #: First major version that asks before a public page reaches 127.0.0.1.
    since: int
    #: Linux folders of managed policies (JSON files).
    linux_dirs: tuple[str, ...]
    #: Windows registry key of the policies.
    registry: str


FAMILIES = {
    "chrome": Family("chrome", 142, ("/etc/opt/chrome/policies/managed",), r"SOFTWARE\Policies\Google\Chrome"),
    "chromium": Family("chromium", 142, ("/etc/chromium/policies/managed",), r"SOFTWARE\Policies\Chromium"),
    "edge": Family("edge", 142, ("/etc/opt/edge/policies/managed",), r"SOFTWARE\Policies\Microsoft\Edge"),
    "firefox": Family(
        "firefox",
        147,
        ("/etc/firefox/policies", "/usr/lib/firefox/distribution", "/usr/lib/firefox-esr/distribution"),
        r"SOFTWARE\Policies\Mozilla\Firefox",
    ),
}


def family_of(name: str) -> Family | None:
    lowered = name.lower()
    for key in ("edge", "chromium", "chrome", "firefox"):
        if key in lowered:
            return FAMILIES[key]
    return None


def major_version(version: str) -> int | None:
    match = re.search(r"(\d+)\.", version + ".")
    return int(match.group(1)) if match else None


def _host(origin: str) -> str:
    return (urlsplit(origin).hostname or origin).lower()


def pattern_matches(pattern: str, origin: str) -> bool:
    """Chrome's URL patterns as IT writes them: an origin, a host, or `[*.]example.fr`."""
    pattern = pattern.strip().lower().rstrip("/")
    host = _host(origin)
    if pattern in ("*", origin.lower()):
        return True
    if pattern.startswith("[*.]"):
        base = pattern[4:]
        return host == base or host.endswith("." + base)
    if "://" in pattern:
        return _host(pattern) == host and (urlsplit(pattern).scheme or "https") == urlsplit(origin).scheme
    return pattern == host


def _json_files(folders: Iterable[str], root: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for folder in folders:
        directory = root / folder.lstrip("/")
        files = [directory] if directory.is_file() else sorted(directory.glob("*.json")) if directory.is_dir() else []
        for file in files:
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                found.append(data)
    return found


def _windows_values(registry: str, name: str) -> list[str]:  # pragma: no cover - Windows only
    if sys.platform != "win32":
        return []
    import winreg

    values: list[str] = []
    for hive in (winreg.HKEY_LOCAL_MACHINE, winreg.HKEY_CURRENT_USER):
        try:
            with winreg.OpenKey(hive, f"{registry}\\{name}") as key:
                index = 0
                while True:
                    try:
                        _n, value, _t = winreg.EnumValue(key, index)
                    except OSError:
                        break
                    values.append(str(value))
                    index += 1
        except OSError:
            continue
    return values


def policy_in_place(family: Family, origin: str, *, root: Path = Path("/")) -> bool:
    """True when a managed policy already lets `origin`'s pages reach 127.0.0.1 in that browser."""
    if family.key == "firefox":
        for data in _json_files([f"{d}/policies.json" for d in family.linux_dirs], root):
            policies = data.get("policies", {})
            lna = policies.get("LocalNetworkAccess")
            if isinstance(lna, dict) and lna.get("Enabled") is False:
                return True
            prefs = policies.get("Preferences", {})
            skip = prefs.get("network.lna.skip-domains") if isinstance(prefs, dict) else None
            value = skip.get("Value") if isinstance(skip, dict) else skip
            if isinstance(value, str) and any(pattern_matches(p, origin) for p in value.split(",") if p.strip()):
                return True
        return False
    for data in _json_files(family.linux_dirs, root):
        for name in CHROMIUM_POLICIES:
            patterns = data.get(name)
            if isinstance(patterns, list) and any(isinstance(p, str) and pattern_matches(p, origin) for p in patterns):
                return True
    return any(
        pattern_matches(value, origin) for name in CHROMIUM_POLICIES for value in _windows_values(family.registry, name)
    )


def policy_texts(origin: str) -> dict[str, str]:
    """The exact policies IT deploys so that `origin`'s pages reach the assistant without a prompt."""
    host = _host(origin)
    chromium_json = json.dumps(
        {"LoopbackNetworkAllowedForUrls": [origin], "LocalNetworkAccessAllowedForUrls": [origin]}, indent=2
    )
    firefox_json = json.dumps(
        {"policies": {"Preferences": {"network.lna.skip-domains": {"Value": host, "Status": "locked"}}}}, indent=2
    )

    def gpo(vendor_key: str) -> str:
        lines = ["Windows Registry Editor Version 5.00", ""]
        for name in ("LoopbackNetworkAllowedForUrls", "LocalNetworkAccessAllowedForUrls"):
            lines += [f"[HKEY_LOCAL_MACHINE\\{vendor_key}\\{name}]", f'"1"="{origin}"', ""]
        return "\n".join(lines)

    return {
        "Chrome (Linux) /etc/opt/chrome/policies/managed/assistant-marches-publics.json": chromium_json,
        "Chromium (Linux) /etc/chromium/policies/managed/assistant-marches-publics.json": chromium_json,
        "Edge (Linux) /etc/opt/edge/policies/managed/assistant-marches-publics.json": chromium_json,
        _("Chrome (Windows, GPO ou .reg)"): gpo(FAMILIES["chrome"].registry),
        _("Edge (Windows, GPO ou .reg)"): gpo(FAMILIES["edge"].registry),
        _("Firefox policies.json (/etc/firefox/policies/ ; Windows et macOS : dossier distribution)"): firefox_json,
    }


def check_local_network(
    platform_url: str | None, *, browsers: list[tuple[str, str, str]] | None = None, root: Path = Path("/")
) -> list[CheckResult]:
    origin = platform_url.rstrip("/") if platform_url else PLACEHOLDER
    found = find_browsers() if browsers is None else browsers
    lines: list[str] = []
    missing: list[str] = []
    for name, _path, version in found:
        family = family_of(name)
        major = major_version(version)
        if family is None:
            continue
        if major is not None and major < family.since:
            lines.append(
                _("{name} {version} : pas de contrôle d'accès au réseau local (avant la version {since})").format(
                    name=name, version=version, since=family.since
                )
            )
            continue
        if platform_url and policy_in_place(family, origin, root=root):
            lines.append(
                _("{name} {version} : autorisé pour {origin} par la stratégie de l'entreprise").format(
                    name=name, version=version, origin=origin
                )
            )
            continue
        lines.append(
            _(
                "{name} {version} : le navigateur demandera à l'utilisateur d'autoriser {origin} (« applications de l'appareil ») ; aucune stratégie ne l'autorise"
            ).format(name=name, version=version, origin=origin)
        )
        missing.append(name)
    if not lines:
        return [
            CheckResult(
                "local_network",
                _(LABEL),
                Status.SKIPPED,
                _("Aucun navigateur concerné"),
                _("Aucun navigateur Chrome, Chromium, Edge ou Firefox trouvé."),
            )
        ]
    policies = tuple(f"{where} :\n{text}" for where, text in policy_texts(origin).items())
    if not missing:
        return [
            CheckResult(
                "local_network",
                _(LABEL),
                Status.OK,
                _("Accès autorisé"),
                _("La page de la plateforme peut joindre l'assistant sans question du navigateur."),
                details=tuple(lines),
            )
        ]
    return [
        CheckResult(
            "local_network",
            _(LABEL),
            Status.WARNING,
            _("Autorisation demandée à l'utilisateur"),
            _(
                "{join} demandera à l'utilisateur s'il autorise la plateforme à joindre les applications de son poste : s'il refuse, la page ne joint plus l'assistant (l'association du poste reste possible)."
            ).format(join=", ".join(missing)),
            _(
                "Service informatique : déployez la stratégie ci-dessous pour la plateforme (ou demandez à l'utilisateur d'accepter la question du navigateur)."
            ),
            details=tuple(lines) + policies,
        )
    ]
