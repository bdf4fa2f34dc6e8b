""" "Déchiffrement hors ligne": decrypt a folder downloaded earlier (every envelope it holds) with a
bi-clé of the user's stores, into a folder of their choice; envelope i of N while it runs, then
how many were decrypted and "Ouvrir le dossier"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _
from assistant.jobs.model import Job
from assistant.ui.local_job import LocalJobPanel
from assistant.ui.widgets import page_header

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine


class DecryptPage(QWidget):
    def __init__(self, engine: JobEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(
                _("Déchiffrement hors ligne"),
                _(
                    "Déchiffrez les plis d'une consultation téléchargée auparavant, avec votre bi-clé de chiffrement "
                    "(carte, clé USB ou fichier). Les fichiers chiffrés ne sont pas modifiés."
                ),
            )
        )
        form = QFormLayout()
        self.folder = QLineEdit()
        self.folder.setObjectName("decryptFolder")
        self.folder.setAccessibleName(_("Dossier des plis chiffrés"))
        self.folder.textChanged.connect(self._folder_changed)
        browse = QPushButton(_("Parcourir…"))
        browse.setObjectName("decryptBrowse")
        browse.clicked.connect(self.choose_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(browse)
        form.addRow(_("Dossier des plis chiffrés :"), row)
        self.out_dir = QLineEdit()
        self.out_dir.setObjectName("decryptOutDir")
        self.out_dir.setAccessibleName(_("Dossier des fichiers déchiffrés"))
        out_browse = QPushButton(_("Parcourir…"))
        out_browse.setObjectName("decryptOutBrowse")
        out_browse.clicked.connect(self.choose_out_dir)
        row = QHBoxLayout()
        row.addWidget(self.out_dir, 1)
        row.addWidget(out_browse)
        form.addRow(_("Dossier des fichiers déchiffrés :"), row)
        self.extract = QCheckBox(_("Extraire les archives ZIP déchiffrées"))
        self.extract.setObjectName("decryptExtract")
        self.extract.setChecked(True)
        form.addRow("", self.extract)
        layout.addLayout(form)
        key_hint = QLabel(_("Le bi-clé vous sera demandé au lancement, puis son code PIN ou son mot de passe."))
        key_hint.setWordWrap(True)
        key_hint.setStyleSheet("color: #555;")
        layout.addWidget(key_hint)
        row = QHBoxLayout()
        self.start_button = QPushButton(_("Déchiffrer"))
        self.start_button.setObjectName("decryptStart")
        self.start_button.setDefault(True)
        self.start_button.clicked.connect(self.start)
        row.addWidget(self.start_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.panel = LocalJobPanel(engine)
        self.panel.finished.connect(lambda _job: self._update())
        layout.addWidget(self.panel)
        layout.addStretch(1)
        self._update()

    def _folder_changed(self, text: str) -> None:
        # The default destination follows the folder until the user picks one.
        if not self.out_dir.isModified() and text.strip():
            self.out_dir.setText(_("{folder} - déchiffré").format(folder=text.strip().rstrip("/\\")))
        self._update()

    def _update(self) -> None:
        self.start_button.setEnabled(bool(self.folder.text().strip()) and not self.panel.running)

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, _("Dossier des plis chiffrés"), self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def choose_out_dir(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, _("Dossier des fichiers déchiffrés"), self.out_dir.text())
        if chosen:
            self.out_dir.setText(chosen)
            self.out_dir.setModified(True)

    def start(self) -> Job | None:
        params: dict[str, object] = {
            "folder": str(Path(self.folder.text().strip()).expanduser()),
            "extract": self.extract.isChecked(),
        }
        if self.out_dir.text().strip():
            params["out_dir"] = self.out_dir.text().strip()
        job = self.panel.start(
            {"version": 1, "type": "decrypt", "label": N_("Déchiffrement hors ligne"), "params": params}
        )
        self._update()
        return job

    def dispose(self) -> None:
        self.panel.dispose()
