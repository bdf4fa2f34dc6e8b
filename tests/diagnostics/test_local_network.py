"""The workstation test's Local Network Access line: each browser's version, whether the browser will
ask the user before the platform's page reaches 127.0.0.1, whether an enterprise policy allows it,
and the exact policy IT must deploy."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.cli import main
from assistant.diagnostics.checks import find_browsers
from assistant.diagnostics.local_network import check_local_network, pattern_matches, policy_texts
from assistant.diagnostics.report import Status
from assistant.diagnostics.runner import run_diagnostics

ORIGIN = "https://marches.example.fr"


def _policy(root: Path, folder: str, name: str, data: object) -> None:
    target = root / folder.lstrip("/") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data), encoding="utf-8")


def test_the_installed_chromium_asks_and_the_policy_is_printed(tmp_path: Path) -> None:
    [(name, _path, version)] = [b for b in find_browsers() if b[0] == "Chromium"]
    assert int(version.split(".")[0]) >= 142  # the test machine's Chromium has Local Network Access
    [line] = check_local_network(ORIGIN, root=tmp_path)
    assert line.status is Status.WARNING
    assert line.details[0].startswith(
        f"{name} {version} : le navigateur demandera à l'utilisateur d'autoriser {ORIGIN}"
    )
    assert "Service informatique : déployez la stratégie" in line.remedy
    printed = "\n".join(line.details)
    assert "/etc/chromium/policies/managed/assistant-marches-publics.json" in printed
    assert '"LoopbackNetworkAllowedForUrls": [\n    "https://marches.example.fr"' in printed
    assert "network.lna.skip-domains" in printed


def test_a_deployed_policy_is_recognised(tmp_path: Path) -> None:
    browsers = [
        ("Chromium", "/usr/bin/chromium", "156.0.1"),
        ("Firefox", "/usr/bin/firefox", "148.0"),
        ("Microsoft Edge", "/usr/bin/microsoft-edge", "146.0.3"),
        ("Google Chrome", "/usr/bin/chrome", "120.0"),
    ]
    [before] = check_local_network(ORIGIN, browsers=browsers, root=tmp_path)
    assert before.status is Status.WARNING and "Chromium, Firefox, Microsoft Edge" in before.message
    assert "Google Chrome 120.0 : pas de contrôle d'accès au réseau local (avant la version 142)" in before.details
    # IT deploys the printed policies (files as `assistant bridge lna-policy` prints them).
    texts = policy_texts(ORIGIN)
    _policy(
        tmp_path,
        "/etc/chromium/policies/managed",
        "amp.json",
        json.loads(next(t for k, t in texts.items() if k.startswith("Chromium (Linux)"))),
    )
    _policy(
        tmp_path, "/etc/opt/edge/policies/managed", "amp.json", {"LoopbackNetworkAllowedForUrls": ["[*.]example.fr"]}
    )
    _policy(
        tmp_path,
        "/etc/firefox/policies",
        "policies.json",
        json.loads(next(t for k, t in texts.items() if k.startswith("Firefox"))),
    )
    [after] = check_local_network(ORIGIN, browsers=browsers, root=tmp_path)
    assert after.status is Status.OK, after.details
    assert f"Chromium 156.0.1 : autorisé pour {ORIGIN} par la stratégie de l'entreprise" in after.details
    # Another platform is not covered by that policy.
    [other] = check_local_network("https://autre.example.com", browsers=browsers, root=tmp_path)
    assert other.status is Status.WARNING


def test_url_patterns_as_it_writes_them() -> None:
    assert pattern_matches("https://marches.example.fr", ORIGIN)
    assert pattern_matches("[*.]example.fr", ORIGIN) and pattern_matches("marches.example.fr", ORIGIN)
    assert not pattern_matches("http://marches.example.fr", ORIGIN)
    assert not pattern_matches("[*.]evil-example.fr", ORIGIN) and not pattern_matches("example.fr", ORIGIN)


def test_the_report_and_the_command_line(tmp_path: Path, capsys) -> None:
    report = run_diagnostics(platform_url=ORIGIN)
    [line] = [r for r in report.checks if r.id == "local_network"]
    assert line.label == "Accès au réseau local (navigateurs)"
    assert main(["bridge", "lna-policy", "https://Marches.Example.fr/"]) == 0
    out = capsys.readouterr().out
    assert "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Edge\\LoopbackNetworkAllowedForUrls" in out
    assert '"1"="https://marches.example.fr"' in out
    assert main(["bridge", "lna-policy", "http://marches.example.fr"]) == 1
    assert "Adresse de plateforme invalide" in capsys.readouterr().err
