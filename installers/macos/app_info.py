"""The macOS .app's Info.plist values (build.spec's BUNDLE step reads them; tested on Linux)."""

from __future__ import annotations

APP_BUNDLE_NAME = "Assistant Marchés Publics.app"
BUNDLE_ID = "fr.assistant-marches-publics"


def info_plist(version: str) -> dict[str, object]:
    return {
        "CFBundleName": "Assistant Marchés Publics",
        "CFBundleDisplayName": "Assistant Marchés Publics",
        "CFBundleIdentifier": BUNDLE_ID,
        "CFBundleShortVersionString": version,
        "CFBundleVersion": version,
        "CFBundleDevelopmentRegion": "fr",
        "CFBundleLocalizations": ["fr", "en"],
        # A tray (menu bar) application: no Dock icon, no main menu of its own.
        "LSUIElement": True,
        "LSMinimumSystemVersion": "12.0",
        "NSHighResolutionCapable": True,
        "NSHumanReadableCopyright": "Licence EUPL-1.2",
    }
