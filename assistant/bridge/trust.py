"""Making browsers trust the bridge's CA, and undoing it, with the user's consent.

Where browsers look:
- Linux: Chrome/Chromium read the NSS database `~/.pki/nssdb`; Firefox has one NSS database per
  profile (`~/.mozilla/firefox/<profile>`, also the snap and flatpak locations). `certutil` (NSS
  tools) adds the CA with trust flags `C,,` (a CA trusted to issue TLS server certificates).
- Windows: the CurrentUser Root store (`certutil -user -addstore Root`); Windows itself shows a
  confirmation dialog, which is the user's consent.
- macOS: the login keychain (`security add-trusted-cert -r trustRoot`), which asks for the
  user's password.

The plan (which stores, which commands) is pure and tested; running the commands goes through a
`Runner` so that the OS calls sit in one place. What was done is recorded in `trust.json` next to
the CA, so that a renewal (a new CA) replaces the old CA in exactly the stores the user chose,
and `untrust` removes every CA this installation ever added.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.bridge import ca
from assistant.i18n import _

STATE_FILE = "trust.json"
NSS_TRUST_FLAGS = "C,,"

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


def run_command(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """The one place where trust-store tools are executed (no shell, output captured)."""
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=60, check=False)


@dataclass(frozen=True)
class TrustTarget:
    kind: str  # "nss" | "windows" | "macos"
    browser: str  # what the user sees: "Chrome / Chromium", "Firefox (profil default-release)"
    location: str  # an NSS directory, "CurrentUser\\Root", or the keychain path

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "browser": self.browser, "location": self.location}


@dataclass(frozen=True)
class TargetStatus:
    target: TrustTarget
    trusted: bool
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {**self.target.to_dict(), "trusted": self.trusted, "detail": self.detail}


# --------------------------------------------------------------------------------------------
# Planning (pure)


FIREFOX_ROOTS = (
    ".mozilla/firefox",
    "snap/firefox/common/.mozilla/firefox",
    ".var/app/org.mozilla.firefox/.mozilla/firefox",
)


def nss_targets(home: Path) -> list[TrustTarget]:
    """Chrome's shared NSS database (always: `add` creates it if missing) and each Firefox profile
    that has an NSS sql database (cert9.db)."""
    targets = [TrustTarget("nss", "Chrome / Chromium", str(home / ".pki" / "nssdb"))]
    for root in FIREFOX_ROOTS:
        base = home / root
        if not base.is_dir():
            continue
        for profile in sorted(base.iterdir()):
            if (profile / "cert9.db").is_file():
                targets.append(TrustTarget("nss", f"Firefox (profil {profile.name})", str(profile)))
    return targets


def targets_for(platform: str, home: Path) -> list[TrustTarget]:
    if platform == "win32":
        return [TrustTarget("windows", "Windows (Edge, Chrome)", "CurrentUser\\Root")]
    if platform == "darwin":
        keychain = home / "Library" / "Keychains" / "login.keychain-db"
        return [TrustTarget("macos", "macOS (Safari, Chrome)", str(keychain)), *nss_targets(home)[1:]]
    return nss_targets(home)


def add_commands(target: TrustTarget, identity: ca.BridgeIdentity) -> list[list[str]]:
    if target.kind == "nss":
        db = f"sql:{target.location}"
        commands: list[list[str]] = []
        if not (Path(target.location) / "cert9.db").exists():
            commands.append(["certutil", "-N", "-d", db, "--empty-password"])
        commands.append(
            ["certutil", "-A", "-d", db, "-n", identity.nickname, "-t", NSS_TRUST_FLAGS, "-i", str(identity.ca_path)]
        )
        return commands
    if target.kind == "windows":
        return [["certutil", "-user", "-addstore", "Root", str(identity.ca_path)]]
    if target.kind == "macos":
        return [["security", "add-trusted-cert", "-r", "trustRoot", "-k", target.location, str(identity.ca_path)]]
    raise ValueError(target.kind)


def remove_commands(target: TrustTarget, nickname: str, *, serial_hex: str = "", sha1_hex: str = "") -> list[list[str]]:
    if target.kind == "nss":
        return [["certutil", "-D", "-d", f"sql:{target.location}", "-n", nickname]]
    if target.kind == "windows":
        return [["certutil", "-user", "-delstore", "Root", serial_hex]]
    if target.kind == "macos":
        return [["security", "delete-certificate", "-Z", sha1_hex.upper(), target.location]]
    raise ValueError(target.kind)


def check_command(target: TrustTarget, identity: ca.BridgeIdentity) -> list[str]:
    if target.kind == "nss":
        return ["certutil", "-L", "-d", f"sql:{target.location}", "-n", identity.nickname]
    if target.kind == "windows":
        return ["certutil", "-user", "-verifystore", "Root", identity.ca_serial_hex]
    if target.kind == "macos":
        return ["security", "find-certificate", "-a", "-Z", target.location]
    raise ValueError(target.kind)


def interpret_check(target: TrustTarget, identity: ca.BridgeIdentity, result: subprocess.CompletedProcess[str]) -> bool:
    """Did the check command find our CA, trusted for TLS?"""
    if result.returncode != 0:
        return False
    if target.kind == "nss":
        # `certutil -L -n` prints "Certificate Trust Flags:" then "SSL Flags:" with "Trusted CA".
        out = result.stdout
        ssl_section = out.split("SSL Flags:", 1)[1] if "SSL Flags:" in out else ""
        first_block = ssl_section.split("Email Flags:", 1)[0]
        return "Trusted CA" in first_block
    if target.kind == "macos":
        return identity.ca_fingerprint_sha1.upper() in result.stdout.upper()
    return True


# --------------------------------------------------------------------------------------------
# State: what this installation added where


def _state_path(identity: ca.BridgeIdentity) -> Path:
    return identity.directory / STATE_FILE


def load_state(identity: ca.BridgeIdentity) -> dict[str, Any]:
    try:
        data = json.loads(_state_path(identity).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"consented": False, "added": []}
    if not isinstance(data, dict):
        return {"consented": False, "added": []}
    data.setdefault("consented", False)
    data.setdefault("added", [])
    return data


def _save_state(identity: ca.BridgeIdentity, state: dict[str, Any]) -> None:
    path = _state_path(identity)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def should_offer(identity: ca.BridgeIdentity) -> bool:
    """Whether the UI should propose "make browsers trust the assistant" (asked once: neither
    accepted nor declined yet)."""
    state = load_state(identity)
    return not state.get("consented") and not state.get("declined")


def record_declined(identity: ca.BridgeIdentity) -> None:
    """The user said no: do not propose again (`assistant bridge trust` still works)."""
    state = load_state(identity)
    state["declined"] = True
    _save_state(identity, state)


# --------------------------------------------------------------------------------------------
# Doing it


@dataclass(frozen=True)
class Outcome:
    target: TrustTarget
    ok: bool
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.target.to_dict(), "ok": self.ok, "message": self.message}


def _home(home: Path | None) -> Path:
    return home or Path(os.path.expanduser("~"))


def _added_entry(target: TrustTarget, identity: ca.BridgeIdentity) -> dict[str, Any]:
    """What the state file records of a CA added to a target: enough to remove it after a renewal."""
    return {
        **target.to_dict(),
        "nickname": identity.nickname,
        "serial": identity.ca_serial_hex,
        "sha1": identity.ca_fingerprint_sha1,
    }


def trust(
    identity: ca.BridgeIdentity,
    *,
    home: Path | None = None,
    platform: str = sys.platform,
    runner: Runner = run_command,
) -> list[Outcome]:
    """Add the CA to every target. Call only after the user agreed (the command asks)."""
    outcomes: list[Outcome] = []
    state = load_state(identity)
    for target in targets_for(platform, _home(home)):
        if target.kind == "nss":
            Path(target.location).mkdir(parents=True, exist_ok=True, mode=0o700)
        ok, message = True, "ajoutée"
        for argv in add_commands(target, identity):
            try:
                result = runner(argv)
            except (OSError, subprocess.SubprocessError) as exc:
                ok, message = False, _("outil indisponible ({tool}) : {error}").format(tool=argv[0], error=exc)
                break
            if result.returncode != 0:
                ok, message = (
                    False,
                    (result.stderr or result.stdout).strip()[:300] or _("échec de {tool}").format(tool=argv[0]),
                )
                break
        if ok:
            entry = _added_entry(target, identity)
            if entry not in state["added"]:
                state["added"].append(entry)
        outcomes.append(Outcome(target, ok, message))
    # Consent is remembered only once a store took the CA: after a complete failure the offer
    # must come back at the next start rather than be silently dropped.
    if any(outcome.ok for outcome in outcomes):
        state["consented"] = True
    _save_state(identity, state)
    return outcomes


def untrust(
    identity: ca.BridgeIdentity, *, runner: Runner = run_command, home: Path | None = None, platform: str = sys.platform
) -> list[Outcome]:
    """Remove every CA this installation added (the current one and those of earlier renewals),
    and the current one from every known target even if not recorded."""
    state = load_state(identity)
    entries: list[dict[str, Any]] = list(state["added"])
    for target in targets_for(platform, _home(home)):
        entry = _added_entry(target, identity)
        if entry not in entries and (target.kind != "nss" or (Path(target.location) / "cert9.db").exists()):
            entries.append(entry)
    outcomes: list[Outcome] = []
    for entry in entries:
        target = TrustTarget(entry["kind"], entry["browser"], entry["location"])
        ok, message = True, "retirée"
        for argv in remove_commands(
            target, entry["nickname"], serial_hex=entry.get("serial", ""), sha1_hex=entry.get("sha1", "")
        ):
            try:
                result = runner(argv)
            except (OSError, subprocess.SubprocessError) as exc:
                ok, message = False, _("outil indisponible ({tool}) : {error}").format(tool=argv[0], error=exc)
                continue
            if result.returncode != 0:
                ok, message = False, "absente"
        outcomes.append(Outcome(target, ok, message))
    state["added"] = []
    state["consented"] = False
    _save_state(identity, state)
    return outcomes


def status(
    identity: ca.BridgeIdentity, *, home: Path | None = None, platform: str = sys.platform, runner: Runner = run_command
) -> list[TargetStatus]:
    """Whether each browser's store trusts this installation's CA (for diagnostics and the CLI)."""
    found: list[TargetStatus] = []
    for target in targets_for(platform, _home(home)):
        if target.kind == "nss" and not (Path(target.location) / "cert9.db").exists():
            found.append(TargetStatus(target, False, "base NSS absente"))
            continue
        try:
            result = runner(check_command(target, identity))
        except (OSError, subprocess.SubprocessError) as exc:
            found.append(TargetStatus(target, False, _("outil indisponible : {error}").format(error=exc)))
            continue
        trusted = interpret_check(target, identity, result)
        found.append(TargetStatus(target, trusted, _("autorité de confiance") if trusted else _("non approuvée")))
    return found


def after_renewal(
    identity: ca.BridgeIdentity, *, runner: Runner = run_command, home: Path | None = None, platform: str = sys.platform
) -> list[Outcome]:
    """A new CA replaced the old one: if the user had consented, swap it in the same stores."""
    state = load_state(identity)
    if not state.get("consented"):
        return []
    old = [e for e in state["added"] if e.get("nickname") != identity.nickname]
    for entry in old:
        target = TrustTarget(entry["kind"], entry["browser"], entry["location"])
        for argv in remove_commands(
            target, entry["nickname"], serial_hex=entry.get("serial", ""), sha1_hex=entry.get("sha1", "")
        ):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                runner(argv)
    state["added"] = [e for e in state["added"] if e.get("nickname") == identity.nickname]
    _save_state(identity, state)
    return trust(identity, runner=runner, home=home, platform=platform)
