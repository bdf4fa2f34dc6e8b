"""Platforms are shown by name: the one the user gave in "Options avancées", else the host
without scheme nor default port; revoking still acts on the exact origin."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from assistant.jobs.engine import JobEngine
from assistant.settings import Settings
from assistant.ui.interaction import QtUserInteraction
from assistant.ui.main_window import MainWindow
from assistant.ui.pages.jobs import origin_label
from assistant.ui.platforms import host_label, platform_label


@pytest.mark.parametrize(
    ("origin", "shown"),
    [
        ("https://marches.example.fr", "marches.example.fr"),
        ("https://marches.example.fr:443", "marches.example.fr"),
        ("https://marches.example.fr:8443", "marches.example.fr"),  # a name is a name, its port is noise
        ("http://127.0.0.1:8765", "127.0.0.1:8765"),  # an address: the port tells platforms apart
        ("http://localhost:8765", "localhost:8765"),
        ("https://[::1]:9443", "[::1]:9443"),
        ("pas une adresse", "pas une adresse"),
    ],
)
def test_host_label(origin: str, shown: str) -> None:
    assert host_label(origin) == shown


def test_a_given_name_wins_and_local_jobs_say_so() -> None:
    names = {"https://marches.example.fr": "Marchés de la Ville"}
    assert platform_label("https://marches.example.fr", names) == "Marchés de la Ville"
    assert platform_label("https://autre.example.fr", names) == "autre.example.fr"
    assert origin_label("https://marches.example.fr", names) == "Marchés de la Ville"
    assert origin_label("local", names) == "Vous-même (cet ordinateur)"


def test_renaming_a_platform_in_the_settings_shows_it_everywhere(
    qtbot: Any, engine: JobEngine, interaction: QtUserInteraction, tmp_path: Path
) -> None:
    origin = "https://marches.example.fr"
    settings = Settings(approved_origins=[origin])
    settings.save()
    window = MainWindow(engine, None, settings, folder_questions=interaction.folder_questions)
    qtbot.addWidget(window)
    try:
        window.show_page("settings")
        page = window.settings_page
        assert page.origins.item(0).text() == "marches.example.fr" and page.origins.item(0).toolTip() == origin
        page.rename(origin, "  Marchés de la Ville ")
        assert page.origins.item(0).text() == "Marchés de la Ville"
        assert Settings.load().platform_names == {origin: "Marchés de la Ville"}  # written at once
        window.show_page("home")
        assert window.home.origins.item(0).text() == "Marchés de la Ville"
        assert window.jobs.platform_names == {origin: "Marchés de la Ville"}  # the same mapping
        page.rename(origin, "")  # back to the address
        assert page.origins.item(0).text() == "marches.example.fr" and Settings.load().platform_names == {}
    finally:
        window.dispose()
