"""A platform page the user never approved calls the bridge: refused; when it asks to be connected,
the user is asked in a dialog that shows the code to type into the page."""

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


def _request(
    bridge: BridgeServer, method: str, path: str, origin: str, body: Any = None, key: str | None = None
) -> tuple[int, Any]:
    headers = {"Origin": origin}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(
        f"http://127.0.0.1:{bridge.http_port}{path}", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"null")


def _post_job(bridge: BridgeServer, origin: str, key: str | None = None) -> int:
    return _request(bridge, "POST", "/v1/jobs", origin, {"version": 1, "type": "diagnose", "params": {}}, key)[0]


def test_unknown_origin_refused_then_approved_in_the_dialog(
    qtbot: Any, engine: JobEngine, interaction: QtUserInteraction, p12_settings: Settings, screens: Path
) -> None:
    bridge = BridgeServer(engine, p12_settings, interaction, port=0, tls=False)
    bridge.start()
    try:
        window = MainWindow(engine, bridge, p12_settings)
        qtbot.addWidget(window)
        window.show()
        # The page's request is refused before anything runs; no job is created.
        assert _post_job(bridge, ORIGIN) == 403
        assert engine.jobs() == []
        # The page asks to be connected: the dialog shows the origin and the code to type.
        status, opened = _request(bridge, "POST", "/v1/access", ORIGIN)
        assert status == 202 and "code" not in opened
        dialog = wait_for_dialog(qtbot, "approveOriginDialog")
        question = dialog.findChild(QLabel, "approveOriginQuestion")
        assert question is not None and f"<b>{ORIGIN}" in question.text()
        code_label = dialog.findChild(QLabel, "approveOriginCode")
        assert code_label is not None and "saisissez-y ce code" in code_label.text()
        code = "".join(c for c in code_label.text().rsplit("<b>", 1)[1] if c.isdigit())
        assert len(code) == 6
        shot(dialog, screens, "bridge-consent")
        allow = dialog.findChild(QPushButton, "approveOriginAllow")
        assert allow is not None
        qtbot.mouseClick(allow, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: bridge.registry.is_approved(bridge.registry.list()[0]) if bridge.registry.list() else False,
            timeout=10000,
        )
        approved = bridge.registry.list()
        assert len(approved) == 1 and approved[0].startswith(ORIGIN)
        # The home page lists the new platform; the page's next request is accepted.
        window.show_page("home")
        assert window.home.origins.item(0).text() == "marches.example.fr"  # by name, not the raw address
        assert window.home.origins.item(0).toolTip() == approved[0]
        status, granted = _request(bridge, "POST", f"/v1/access/{opened['claim']}", ORIGIN, {"code": code})
        assert status == 200
        assert _post_job(bridge, ORIGIN) == 401  # a page that was not connected still gets nothing
        assert _post_job(bridge, ORIGIN, granted["key"]) == 202
        window.dispose()
    finally:
        bridge.stop()
