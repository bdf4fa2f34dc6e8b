"""A platform page the user never approved calls the bridge: refused, and the user is asked in a dialog."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

from assistant.bridge.server import BridgeServer
from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from tests.ui.conftest import shot, wait_for_dialog

ORIGIN = "https://marches.example.fr"


def _post_job(bridge: BridgeServer, origin: str) -> int:
    body = json.dumps({"version": 1, "type": "diagnose", "params": {}}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{bridge.http_port}/v1/jobs",
        data=body,
        method="POST",
        headers={"Origin": origin, "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_unknown_origin_refused_then_approved_in_the_dialog(qtbot: Any, engine: JobEngine,
                                                            interaction: QtUserInteraction,
                                                            p12_settings: Settings, screens: Path) -> None:
    bridge = BridgeServer(engine, p12_settings, interaction, port=0, tls=False)
    bridge.start()
    try:
        window = MainWindow(engine, bridge, p12_settings)
        qtbot.addWidget(window)
        window.show()
        # The page's request is refused before anything runs; no job is created.
        assert _post_job(bridge, ORIGIN) == 403
        assert engine.jobs() == []
        dialog = wait_for_dialog(qtbot, "approveOriginDialog")
        question = dialog.findChild(QLabel, "approveOriginQuestion")
        assert question is not None and f"<b>{ORIGIN}" in question.text()
        shot(dialog, screens, "bridge-consent")
        allow = dialog.findChild(QPushButton, "approveOriginAllow")
        assert allow is not None
        qtbot.mouseClick(allow, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bridge.registry.is_approved(bridge.registry.list()[0]) if bridge.registry.list()
                        else False, timeout=10000)
        approved = bridge.registry.list()
        assert len(approved) == 1 and approved[0].startswith(ORIGIN)
        # The home page lists the new platform; the page's next request is accepted.
        window.show_page("home")
        assert window.home.origins.item(0).text() == approved[0]
        assert _post_job(bridge, ORIGIN) == 202
        window.dispose()
    finally:
        bridge.stop()
