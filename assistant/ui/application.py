"""The one QApplication of the process, speaking the user's language.

A module of its own (not `app.py`) so that every piece needing the application (the Qt
interaction, the dialogs) can import it without importing the window: `app.py` builds the window
and imports those pieces, never the other way round.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from assistant import APP_ID, APP_NAME, __version__
from assistant.i18n import current_language

#: Qt's own catalogues (file dialogs, standard buttons, context menus), kept alive with the app.
_qt_translators: list[QTranslator] = []


def install_qt_translations(app: QApplication, language: str | None = None) -> bool:
    """Load the qtbase translations PySide6 ships for `language` (the product's language).

    Without them Qt's own dialogs (QFileDialog, QMessageBox buttons, the line edit's context menu)
    stay in English inside the French window. Returns whether a catalogue was loaded.
    """
    language = language or current_language()
    for old in _qt_translators:
        app.removeTranslator(old)
    _qt_translators.clear()
    QLocale.setDefault(QLocale(QLocale.Language.French if language == "fr" else QLocale.Language.English))
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    translator = QTranslator(app)
    if not translator.load(f"qtbase_{language}", folder):
        return False
    app.installTranslator(translator)
    _qt_translators.append(translator)
    return True


def ensure_application() -> QApplication:
    """The one QApplication of the process (created on first call, with Qt's translations)."""
    app = QApplication.instance()
    if isinstance(app, QApplication):
        if not _qt_translators:
            install_qt_translations(app)
        return app
    app = QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    install_qt_translations(app)
    from assistant.ui.icons import icon

    app.setWindowIcon(icon("app"))
    return app
