""" "Bi-clés de chiffrement": the original's bi-clé wizard, step by step.

1. Name ("Prénom Nom" or a function), "clé de secours" option, mode: a new key pair, or a
   certificate already in the user's stores; the CN the certificate will carry is previewed.
2. Store of the new key: the smart card (token), the system store (NSS) or the assistant's vault.
3. Backup: the warning that a lost key means bids that can never be opened; for a vault key an
   encrypted .p12 copy (its password chosen in the job, the rule stated, a refused one asked again).
4. Result: a `keygen` job of origin "local" (the same runner as a page's, no crypto here) followed
   in a `LocalJobPanel`; the store's PIN or the passwords are asked by the job.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from assistant.envelopes.bicle import default_cn
from assistant.i18n import N_, _
from assistant.jobs.model import Job
from assistant.ui.local_job import LocalJobPanel
from assistant.ui.tasks import run_in_background
from assistant.ui.widgets import page_header

if TYPE_CHECKING:
    from assistant.jobs.engine import JobEngine
    from assistant.keystores.pkcs11.tokens import PresentToken

#: (store spec given to the job, radio's object name) in the order shown
STORES = (("pkcs11:", "bicleStoreToken"), ("nss", "bicleStoreSystem"), ("vault", "bicleStoreVault"))
STEP_NAMES = ("bicle-name", "bicle-store", "bicle-backup", "bicle-result")
WARNING_STYLE = "color: #8a5a00; background: #fff4d6; padding: 6px;"


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet("color: #555;")
    return label


def token_name(token: PresentToken) -> str:
    """A card as people know it: its name, then the maker's model and the serial number that tell
    two cards of one kind apart."""
    model = " ".join(part for part in (token.manufacturer, token.model) if part)
    if model and token.serial:
        return _("{label} — {model}, n° {serial}").format(label=token.label, model=model, serial=token.serial)
    return token.label or model


TOKEN_POLL_MS = 2000
"""How often the store step looks again for a card while none is plugged in."""


class BicleWizard(QWidget):
    def __init__(self, engine: JobEngine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bicleWizard")
        self.engine = engine
        self._backup_requested = False
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(
                _("Bi-clés de chiffrement"),
                _(
                    "Créez le bi-clé avec lequel les entreprises chiffreront leurs plis pour vous. "
                    "Sa clé privée reste dans le magasin choisi ; seul le certificat public est déclaré sur la plateforme."
                ),
            )
        )
        self.step_label = QLabel()
        self.step_label.setObjectName("bicleStep")
        self.step_label.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.step_label)
        self.steps = QStackedWidget()
        self.steps.addWidget(self._name_step())
        self.steps.addWidget(self._store_step())
        self.steps.addWidget(self._backup_step())
        self.steps.addWidget(self._result_step())
        layout.addWidget(self.steps)
        row = QHBoxLayout()
        self.back_button = QPushButton(_("Précédent"))
        self.back_button.setObjectName("bicleBack")
        self.back_button.clicked.connect(self.back)
        row.addWidget(self.back_button)
        row.addStretch(1)
        self.next_button = QPushButton(_("Suivant"))
        self.next_button.setObjectName("bicleNext")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self._show_step(0)

    # -- steps -------------------------------------------------------------------------------

    def _name_step(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            _hint(
                _(
                    "Le nom du bi-clé doit désigner la personne qui en est titulaire ou son usage : "
                    "« Prénom Nom » pour une affectation personnelle, ou une fonction pour un groupe."
                )
            )
        )
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setObjectName("bicleName")
        self.name.setAccessibleName(_("Nom du bi-clé"))
        self.name.setPlaceholderText(_("Jean Dupont"))
        self.name.textChanged.connect(self._update)
        form.addRow(_("Nom du bi-clé :"), self.name)
        layout.addLayout(form)
        self.rescue = QCheckBox(
            _("Clé de secours (à déclarer sur la plateforme comme clé ajoutée à chaque consultation)")
        )
        self.rescue.setObjectName("bicleRescue")
        layout.addWidget(self.rescue)
        mode = QLabel(_("Mode de génération"))
        mode.setStyleSheet("font-weight: bold;")
        layout.addWidget(mode)
        self.mode_new = QRadioButton(_("Créer une nouvelle clé"))
        self.mode_new.setObjectName("bicleModeNew")
        self.mode_new.setChecked(True)
        self.mode_existing = QRadioButton(_("Utiliser un certificat déjà présent dans un magasin de certificats"))
        self.mode_existing.setObjectName("bicleModeExisting")
        group = QButtonGroup(box)
        group.addButton(self.mode_new)
        group.addButton(self.mode_existing)
        group.buttonToggled.connect(lambda *_args: self._update())
        layout.addWidget(self.mode_new)
        layout.addWidget(self.mode_existing)
        self.cn_preview = QLabel()
        self.cn_preview.setObjectName("bicleCnPreview")
        self.cn_preview.setWordWrap(True)
        layout.addWidget(self.cn_preview)
        layout.addStretch(1)
        return box

    def _store_step(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_hint(_("Où créer la clé privée ? Elle n'en sortira pas.")))
        labels = {
            "pkcs11:": _("Ma carte à puce ou clé USB (la carte branchée ; son code PIN sera demandé)"),
            "nss": _("Le magasin de certificats du système"),
            "vault": _("Le coffre de l'assistant (un fichier protégé par un mot de passe que vous choisirez)"),
        }
        self.store_buttons: dict[str, QRadioButton] = {}
        group = QButtonGroup(box)
        for spec, object_name in STORES:
            button = QRadioButton(labels[spec])
            button.setObjectName(object_name)
            group.addButton(button)
            layout.addWidget(button)
            self.store_buttons[spec] = button
            if spec == "pkcs11:":
                # Which card, when several are plugged in (listed when this step opens, no PIN).
                self.token_choice = QComboBox()
                self.token_choice.setObjectName("bicleToken")
                self.token_choice.setAccessibleName(_("Carte à puce ou clé USB"))
                self.token_choice.setVisible(False)
                self.token_note = _hint("")
                self.token_note.setObjectName("bicleTokenNote")
                indent = QVBoxLayout()
                indent.setContentsMargins(24, 0, 0, 4)
                indent.addWidget(self.token_choice)
                indent.addWidget(self.token_note)
                layout.addLayout(indent)
        self.store_buttons["pkcs11:"].setChecked(True)
        self.tokens: list[PresentToken] | None = None
        self._listing = False
        # With no card plugged in, look again now and then while the step is shown, so that a
        # card plugged in afterwards is seen without leaving the step.
        self._token_poll = QTimer(self)
        self._token_poll.setSingleShot(True)
        self._token_poll.setInterval(TOKEN_POLL_MS)
        self._token_poll.timeout.connect(self._list_again_if_waiting)
        group.buttonToggled.connect(lambda *_args: self._update())
        layout.addStretch(1)  # the steps share the tallest one's height: keep this one at the top
        return box

    def _backup_step(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.backup_warning = QLabel(
            _(
                "Attention : sans cette clé privée ou sa sauvegarde, les plis chiffrés pour ce bi-clé ne pourront "
                "jamais être ouverts. Conservez la sauvegarde et son mot de passe en lieu sûr, séparément."
            )
        )
        self.backup_warning.setObjectName("bicleBackupWarning")
        self.backup_warning.setWordWrap(True)
        self.backup_warning.setStyleSheet(WARNING_STYLE)
        layout.addWidget(self.backup_warning)
        self.backup_note = QLabel()
        self.backup_note.setObjectName("bicleBackupNote")
        self.backup_note.setWordWrap(True)
        layout.addWidget(self.backup_note)
        self.backup = QCheckBox(_("Enregistrer une copie chiffrée du bi-clé (fichier .p12)"))
        self.backup.setObjectName("bicleBackup")
        self.backup.toggled.connect(self._update)
        layout.addWidget(self.backup)
        row = QHBoxLayout()
        self.backup_path = QLineEdit()
        self.backup_path.setObjectName("bicleBackupPath")
        self.backup_path.setAccessibleName(_("Fichier de sauvegarde"))
        self.backup_path.textChanged.connect(self._update)
        row.addWidget(self.backup_path, 1)
        self.backup_browse = QPushButton(_("Parcourir…"))
        self.backup_browse.setObjectName("bicleBackupBrowse")
        self.backup_browse.clicked.connect(self.choose_backup)
        row.addWidget(self.backup_browse)
        layout.addLayout(row)
        self.backup_rule = _hint(_("Le mot de passe de la sauvegarde vous sera demandé à la création, deux fois."))
        layout.addWidget(self.backup_rule)
        layout.addStretch(1)
        return box

    def _result_step(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setObjectName("bicleSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.panel = LocalJobPanel(self.engine)
        self.panel.finished.connect(self._finished)
        layout.addWidget(self.panel)
        self.next_note = QLabel()
        self.next_note.setObjectName("bicleNextNote")
        self.next_note.setWordWrap(True)
        layout.addWidget(self.next_note)
        return box

    # -- state -------------------------------------------------------------------------------

    @property
    def store(self) -> str:
        """The store given to the job: the chosen card's own address when cards were listed."""
        spec = next(spec for spec, button in self.store_buttons.items() if button.isChecked())
        if spec == "pkcs11:" and self.tokens:
            return str(self.token_choice.currentData())
        return spec

    def list_tokens(self) -> None:
        """Look for the plugged-in cards (in the background: a module can be slow to answer)."""
        self.tokens = None
        self.token_note.setText(_("Recherche des cartes branchées…"))
        self._update()
        self._search_tokens()

    def _list_again_if_waiting(self) -> None:
        """The poll: still on the store step, the card chosen and none found — look again, quietly."""
        if self.steps.currentIndex() != 1 or self.tokens != []:
            return
        if self.store_buttons["pkcs11:"].isChecked() and self.isVisible():
            self._search_tokens()
        else:
            # Another store chosen for now, or the wizard out of sight: no module is asked, but
            # the timer goes on, the user may come back.
            self._token_poll.start()

    def _search_tokens(self) -> None:
        if self._listing:
            return
        self._listing = True
        settings = self.engine.settings

        def work(_progress: object) -> list[PresentToken]:
            from assistant.keystores.pkcs11.modules import discover_modules
            from assistant.keystores.pkcs11.tokens import present_tokens

            modules = discover_modules(settings.pkcs11_modules, autodiscover=settings.pkcs11_autodiscover)
            return present_tokens(m.path for m in modules)

        def failed(exc: Exception) -> None:
            self._listing = False
            self.tokens = []
            self.token_note.setText(_("Les cartes n'ont pas pu être listées : {reason}").format(reason=exc))
            self._update()
            self._token_poll.start()

        run_in_background(work, self._show_tokens, failed, name="bicle-tokens")

    def _show_tokens(self, tokens: list[PresentToken]) -> None:
        self._listing = False
        self.tokens = tokens
        self.token_choice.clear()
        for token in tokens:
            self.token_choice.addItem(token_name(token), token.uri)
        self.token_choice.setVisible(bool(tokens))
        if not tokens:
            self.token_note.setText(
                _("Aucune carte détectée : branchez-la pour continuer (elle sera vue dès qu'elle sera branchée).")
            )
            self._token_poll.start()
        elif len(tokens) > 1:
            self.token_note.setText(
                _("{count} cartes sont branchées : choisissez celle qui gardera la clé.").format(count=len(tokens))
            )
        else:
            self.token_note.setText("")
        self._update()

    @property
    def cn(self) -> str:
        # The certificate's name, the same in every language (the platforms show it as it is).
        return default_cn(self.name.text().strip())

    def _flow(self) -> list[int]:
        """The steps this choice goes through (the existing-certificate mode has no store nor backup)."""
        return [0, 3] if self.mode_existing.isChecked() else [0, 1, 2, 3]

    def _show_step(self, index: int) -> None:
        self.steps.setCurrentIndex(index)
        self._update()

    def _update(self) -> None:
        index = self.steps.currentIndex()
        flow = self._flow()
        titles = (_("Nom et mode"), _("Magasin"), _("Sauvegarde"), _("Création"))
        self.step_label.setText(
            _("Étape {n} sur {total} : {title}").format(n=flow.index(index) + 1, total=len(flow), title=titles[index])
        )
        name = self.name.text().strip()
        self.cn_preview.setText(
            _("Le certificat portera le nom : « {cn} »").format(cn=self.cn)
            if name and self.mode_new.isChecked()
            else (
                _("Le bi-clé sera le certificat que vous choisirez au lancement.")
                if self.mode_existing.isChecked()
                else ""
            )
        )
        vault = self.store == "vault"
        self.token_choice.setEnabled(self.store_buttons["pkcs11:"].isChecked() and len(self.tokens or []) > 1)
        self.backup.setVisible(vault)
        self.backup_path.setVisible(vault)
        self.backup_browse.setVisible(vault)
        self.backup_rule.setVisible(vault)
        self.backup_path.setEnabled(self.backup.isChecked())
        self.backup_browse.setEnabled(self.backup.isChecked())
        if vault:
            self.backup_note.setText(_("Une sauvegarde chiffrée est fortement recommandée."))
        else:
            self.backup_note.setText(
                _(
                    "Une clé créée dans une carte ou dans le magasin du système ne peut pas en sortir : elle ne peut pas "
                    "être sauvegardée. Associez toujours un bi-clé de secours à vos consultations."
                )
            )
        running = self.panel.running
        self.back_button.setVisible(index != 0)
        self.back_button.setEnabled(not running)
        last_form_step = self._flow()[-2]
        if index == 3:
            self.next_button.setText(_("Créer un autre bi-clé"))
            self.next_button.setEnabled(not running)
        else:
            self.next_button.setText(_("Créer le bi-clé") if index == last_form_step else _("Suivant"))
            ok = bool(name)
            waiting = index == 1 and self.store_buttons["pkcs11:"].isChecked() and not self.tokens
            if waiting:
                # No card (yet): the job could only fail. The reason is the note under the choice.
                ok = False
                reason = (
                    _("Recherche des cartes branchées…")
                    if self.tokens is None
                    else _("Aucune carte détectée : branchez la carte à puce ou la clé USB pour continuer.")
                )
            else:
                reason = ""
            self.next_button.setToolTip(reason)
            self.next_button.setAccessibleDescription(reason)
            if index == 2 and vault and self.backup.isChecked():
                ok = ok and bool(self.backup_path.text().strip())
            self.next_button.setEnabled(ok)

    def choose_backup(self) -> None:
        suggested = self.backup_path.text() or str(Path.home() / f"{self.name.text().strip() or 'bi-cle'}.p12")
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("Fichier de sauvegarde"), suggested, _("Bi-clé chiffré (*.p12)")
        )
        if chosen:
            self.backup_path.setText(chosen)

    # -- navigation --------------------------------------------------------------------------

    def next(self) -> None:
        flow = self._flow()
        index = self.steps.currentIndex()
        if index == 3:
            self.restart()
            return
        following = flow[flow.index(index) + 1]
        if following == 3:
            self._show_step(3)
            self.start()
        else:
            self._show_step(following)
            if following == 1:
                self.list_tokens()

    def back(self) -> None:
        flow = self._flow()
        index = self.steps.currentIndex()
        if index != 0:
            previous = flow[flow.index(index) - 1]
            self._show_step(previous)
            if previous == 1:
                self.list_tokens()

    def restart(self) -> None:
        self.name.clear()
        self.rescue.setChecked(False)
        self.mode_new.setChecked(True)
        self.backup.setChecked(False)
        self.backup_path.clear()
        self.panel.setVisible(False)
        self.next_note.clear()
        self._show_step(0)

    def start(self) -> Job | None:
        name = self.name.text().strip()
        params: dict[str, object] = {"name": name}
        if self.mode_existing.isChecked():
            params["from_store"] = True
            self.summary.setText(_("Choisissez le certificat qui servira de bi-clé « {name} ».").format(name=name))
        else:
            params["store"] = self.store
            if self.store == "vault" and self.backup.isChecked() and self.backup_path.text().strip():
                params["backup"] = str(Path(self.backup_path.text().strip()).expanduser())
            self.summary.setText(_("Création du bi-clé « {cn} »…").format(cn=self.cn))
        self.next_note.clear()
        self._backup_requested = "backup" in params
        job = self.panel.start({"version": 1, "type": "keygen", "label": N_("Bi-clé de chiffrement"), "params": params})
        self._update()
        return job

    def _finished(self, job: Job) -> None:
        if job.result is not None:
            self.summary.setText(_("Bi-clé « {name} » prêt.").format(name=self.name.text().strip()))
            note = (
                _(
                    "Déclarez maintenant son certificat public sur la plateforme, dans la gestion des bi-clés de secours."
                )
                if self.rescue.isChecked()
                else _("Déclarez maintenant son certificat public sur la plateforme, dans la gestion des bi-clés.")
            )
            if self._backup_requested:
                note += " " + _("Sauvegarde : {path}").format(path=self.backup_path.text().strip())
            self.next_note.setText(note)
        else:
            self.summary.clear()  # the panel says why; "Création…" would be stale
        self._update()

    def dispose(self) -> None:
        self.panel.dispose()
