"""Test de configuration: the workstation configuration test with green and red checks.

The same report as `assistant diagnose` and the platform's "Tester la configuration de mon poste";
it runs off the GUI thread (network checks may wait seconds for a timeout) and shows progress
("Test 4 sur 9 : Accès au magasin de certificats").
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _
from assistant.progress import ProgressCallback, ProgressUpdate
from assistant.settings import Settings
from assistant.ui.icons import status_icon
from assistant.ui.tasks import run_in_background
from assistant.ui.widgets import StatusLine, fmt_number, page_header

INTRO = N_(
    "Cette page de diagnostic permet de vérifier simplement les prérequis suivants : système d'exploitation, "
    "version de l'environnement présent, accès au magasin de certificats et aux cartes à puce, certificats de "
    "signature, version du navigateur Web et communication avec le serveur de la plateforme."
)


class DiagnosticsPage(QWidget):
    #: emitted (GUI thread) with the DiagnosticReport once shown
    report_ready = Signal(object)

    def __init__(self, settings: Settings, platform_url: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.report: Any = None
        self._running = False
        layout = QVBoxLayout(self)
        layout.addWidget(page_header(_("Test de la configuration de votre poste"), _(INTRO)))
        row = QHBoxLayout()
        row.addWidget(QLabel(_("Adresse de la plateforme :")))
        self.url = QLineEdit(platform_url)
        self.url.setObjectName("diagnosticUrl")
        self.url.setAccessibleName(_("Adresse de la plateforme"))
        self.url.setPlaceholderText("https://marches.example.fr")
        row.addWidget(self.url, 1)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.run_button = QPushButton(_("Lancer le test de configuration de mon poste"))
        self.run_button.setObjectName("runDiagnostics")
        self.run_button.setMinimumHeight(32)
        self.run_button.clicked.connect(self.run)
        row.addWidget(self.run_button)
        self.copy_button = QPushButton(_("Copier le rapport"))
        self.copy_button.setObjectName("copyReport")
        self.copy_button.setToolTip(_("Copier le rapport détaillé pour votre service informatique ou le support."))
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self.copy_report)
        row.addWidget(self.copy_button)
        row.addStretch(1)
        self.progress = QLabel("")
        self.progress.setObjectName("diagnosticProgress")
        row.addWidget(self.progress)
        layout.addLayout(row)

        self.table = QTableWidget(0, 2)
        self.table.setObjectName("diagnosticTable")
        self.table.setAccessibleName(_("Résultat"))
        self.table.setHorizontalHeaderLabels([_("Prérequis"), _("Résultat")])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.summary = StatusLine()
        self.summary.setObjectName("diagnosticSummary")
        self.summary.hide()
        layout.addWidget(self.summary)

    def run(self) -> None:
        if self._running:
            return
        self._running = True
        self.run_button.setEnabled(False)
        self.summary.hide()
        self.progress.setText(_("Test en cours…"))
        url = self.url.text().strip() or None
        settings = self.settings

        def work(progress: ProgressCallback) -> Any:
            from assistant.diagnostics import run_diagnostics

            return run_diagnostics(settings, platform_url=url, progress=progress)

        run_in_background(work, self._show, self._failed, self._on_progress, name="diagnostics")

    def _on_progress(self, update: ProgressUpdate) -> None:
        if update.label:
            self.progress.setText(update.label)

    def _failed(self, exc: Exception) -> None:
        self._running = False
        self.run_button.setEnabled(True)
        self.progress.setText("")
        self.summary.set(
            "error", _("Le test n'a pas pu aller à son terme : {reason}").format(reason=getattr(exc, "message", exc))
        )
        self.summary.show()

    def _show(self, report: Any) -> None:
        self._running = False
        self.report = report
        self.run_button.setEnabled(True)
        self.copy_button.setEnabled(True)
        self.progress.setText(_("Test terminé en {seconds} s").format(seconds=fmt_number(report.duration_s, 1)))
        self.table.setRowCount(len(report.checks))
        for row, check in enumerate(report.checks):
            name = QTableWidgetItem(status_icon(check.status.value), check.label)
            text = check.value
            if check.status.value in ("error", "warning") or (check.status.value == "skipped" and check.message):
                if check.message:
                    text += f"\n{check.message}"
                if check.remedy:
                    text += f"\n→ {check.remedy}"
            value = QTableWidgetItem(text)
            value.setToolTip(text)
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, value)
        self.table.resizeRowsToContents()
        status = report.status.value
        self.summary.set(status, _("<b>Résultat :</b> {summary}").format(summary=report.summary))
        self.summary.show()
        self.report_ready.emit(report)

    def copy_report(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(self.report.to_text(verbose=True))

    def rows(self) -> list[tuple[str, str]]:
        rows = []
        for r in range(self.table.rowCount()):
            name, value = self.table.item(r, 0), self.table.item(r, 1)
            rows.append((name.text() if name else "", value.text() if value else ""))
        return rows
