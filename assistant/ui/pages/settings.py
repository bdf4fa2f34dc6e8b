""" "Options avancées": what the user may set for the whole assistant — the timestamp server, the
authorities trusted when verifying signatures, the platforms allowed to use it and the
authorities added for their HTTPS, the PKCS#11 modules of card readers, and the language. Saved to the settings file (never a secret; never from a page)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import N_, _
from assistant.settings import Settings
from assistant.ui.platforms import platform_label
from assistant.ui.widgets import ERROR_STYLE, page_header, section

#: (setting value, French name); "" follows the system's language
LANGUAGES = (("", N_("Langue du système")), ("fr", "Français"), ("en", "English"))


class PathList(QWidget):
    """A list of files or folders with Ajouter… / Retirer."""

    def __init__(
        self, name: str, values: list[str], choose: Callable[[QWidget], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName(name)
        self.list.setMaximumHeight(90)
        self.list.addItems(values)
        layout.addWidget(self.list, 1)
        buttons = QVBoxLayout()
        self.add_button = QPushButton(_("Ajouter…"))
        self.add_button.setObjectName(name + "Add")
        self.add_button.clicked.connect(lambda: self._add(choose(self)))
        buttons.addWidget(self.add_button)
        self.remove_button = QPushButton(_("Retirer"))
        self.remove_button.setObjectName(name + "Remove")
        self.remove_button.clicked.connect(self._remove)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)

    def _add(self, value: str) -> None:
        if value and value not in self.values():
            self.list.addItem(value)

    def _remove(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def values(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


def _choose_module(parent: QWidget) -> str:
    chosen, _filter = QFileDialog.getOpenFileName(
        parent,
        _("Module PKCS#11 du lecteur de carte"),
        "",
        _("Bibliothèques (*.so *.dll *.dylib);;Tous les fichiers (*)"),
    )
    return chosen


def choose_anchor(parent: QWidget) -> str:
    """A certificate file the user trusts for verifying signatures (PEM or DER)."""
    chosen, _filter = QFileDialog.getOpenFileName(
        parent,
        _("Certificat d'une autorité de confiance"),
        "",
        _("Certificats (*.pem *.crt *.cer *.der);;Tous les fichiers (*)"),
    )
    return chosen


def _choose_ca(parent: QWidget) -> str:
    chosen, _filter = QFileDialog.getOpenFileName(
        parent, _("Certificat d'autorité (PEM)"), "", _("Certificats (*.pem *.crt *.cer);;Tous les fichiers (*)")
    )
    return chosen


class SettingsPage(QWidget):
    def __init__(
        self,
        settings: Settings,
        approved: Callable[[], list[str]],
        revoke: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._approved = approved
        self._revoke = revoke
        outer = QVBoxLayout(self)
        outer.addWidget(page_header(_("Options avancées"), _("Réglages de l'assistant pour ce poste.")))
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        scroll.setWidget(holder)
        outer.addWidget(scroll, 1)

        layout.addWidget(section(_("Signature")))
        form = QFormLayout()
        self.tsa = QLineEdit(settings.tsa_url)
        self.tsa.setObjectName("settingsTsa")
        self.tsa.setAccessibleName(_("Serveur d'horodatage"))
        self.tsa.setPlaceholderText("https://horodatage.example.fr/tsa")
        form.addRow(_("Serveur d'horodatage (RFC 3161) :"), self.tsa)
        layout.addLayout(form)
        tsa_hint = QLabel(_("Sans serveur d'horodatage, les signatures sont au niveau B-B (sans horodatage)."))
        tsa_hint.setWordWrap(True)
        tsa_hint.setStyleSheet("color: #555;")
        layout.addWidget(tsa_hint)
        layout.addWidget(
            QLabel(_("Autorités de confiance pour vérifier les signatures (en plus de celles du système) :"))
        )
        self.anchors = PathList("settingsVerifyAnchors", list(settings.verify_trust_anchors), choose_anchor)
        self.anchors.list.setAccessibleName(_("Autorités de confiance pour vérifier les signatures"))
        layout.addWidget(self.anchors)

        layout.addWidget(section(_("Plateformes autorisées")))
        row = QHBoxLayout()
        self.origins = QListWidget()
        self.origins.setObjectName("settingsOrigins")
        self.origins.setAccessibleName(_("Plateformes autorisées"))
        self.origins.setMaximumHeight(90)
        row.addWidget(self.origins, 1)
        buttons = QVBoxLayout()
        self.rename_button = QPushButton(_("Renommer…"))
        self.rename_button.setObjectName("settingsRename")
        self.rename_button.clicked.connect(self._rename_selected)
        buttons.addWidget(self.rename_button)
        self.revoke_button = QPushButton(_("Retirer l'autorisation"))
        self.revoke_button.setObjectName("settingsRevoke")
        self.revoke_button.clicked.connect(self._revoke_selected)
        buttons.addWidget(self.revoke_button)
        buttons.addStretch(1)
        row.addLayout(buttons)
        layout.addLayout(row)
        layout.addWidget(
            QLabel(_("Autorités de certification ajoutées pour les plateformes (proxy d'entreprise, démonstration) :"))
        )
        self.cas = PathList("settingsCas", list(settings.platform_ca_files), _choose_ca)
        self.cas.list.setAccessibleName(_("Autorités ajoutées pour les plateformes"))
        layout.addWidget(self.cas)

        layout.addWidget(section(_("Cartes à puce et clés USB")))
        layout.addWidget(QLabel(_("Modules PKCS#11 ajoutés à la main (en plus de ceux trouvés sur le poste) :")))
        self.modules = PathList("settingsModules", list(settings.pkcs11_modules), _choose_module)
        self.modules.list.setAccessibleName(_("Modules PKCS#11"))
        layout.addWidget(self.modules)

        layout.addWidget(section(_("Démarrage et mises à jour")))
        from assistant.autostart import autostart_status
        from assistant.update.config import load_config

        self.autostart = QCheckBox(_("Démarrer l'assistant avec ma session"))
        self.autostart.setObjectName("settingsAutostart")
        try:
            self._autostart_was = autostart_status().enabled
        except Exception:  # an unreadable entry: shown unchecked, writable on save
            self._autostart_was = False
        self.autostart.setChecked(self._autostart_was)
        layout.addWidget(self.autostart)
        self.updates = QCheckBox(_("Rechercher automatiquement les mises à jour (signées par l'éditeur)"))
        self.updates.setObjectName("settingsUpdates")
        update_config = load_config(settings)
        self.updates.setChecked(update_config.enabled)
        if update_config.decided_by == "policy":
            self.updates.setEnabled(False)
            self.updates.setToolTip(_("Réglé par votre service informatique."))
            policy = QLabel(_("Les mises à jour sont réglées par votre service informatique."))
            policy.setStyleSheet("color: #555;")
            layout.addWidget(self.updates)
            layout.addWidget(policy)
        else:
            layout.addWidget(self.updates)

        layout.addWidget(section(_("Langue")))
        form = QFormLayout()
        self.language = QComboBox()
        self.language.setObjectName("settingsLanguage")
        self.language.setAccessibleName(_("Langue"))
        for value, name in LANGUAGES:
            self.language.addItem(_(name) if value == "" else name, value)
        self.language.setCurrentIndex(max(0, self.language.findData(settings.language)))
        form.addRow(_("Langue de l'assistant :"), self.language)
        layout.addLayout(form)
        language_hint = QLabel(_("La nouvelle langue s'applique au prochain démarrage de l'assistant."))
        language_hint.setStyleSheet("color: #555;")
        layout.addWidget(language_hint)
        layout.addStretch(1)

        row = QHBoxLayout()
        self.save_button = QPushButton(_("Enregistrer"))
        self.save_button.setObjectName("settingsSave")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save)
        row.addWidget(self.save_button)
        self.message = QLabel()
        self.message.setObjectName("settingsMessage")
        self.message.setWordWrap(True)
        row.addWidget(self.message, 1)
        outer.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        self.origins.clear()
        origins = self._approved()
        for origin in origins:
            # The platform by its name; the full address stays one hover away.
            item = QListWidgetItem(platform_label(origin, self.settings.platform_names))
            item.setData(Qt.ItemDataRole.UserRole, origin)
            item.setToolTip(origin)
            self.origins.addItem(item)
        self.revoke_button.setEnabled(bool(origins))
        self.rename_button.setEnabled(bool(origins))

    def _selected_origin(self) -> str | None:
        item = self.origins.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def _revoke_selected(self) -> None:
        origin = self._selected_origin()
        if origin is not None:
            self._revoke(origin)
            self.refresh()

    def _rename_selected(self) -> None:
        origin = self._selected_origin()
        if origin is None:
            return
        name, ok = QInputDialog.getText(
            self,
            _("Nom de la plateforme"),
            _("Nom affiché pour {origin} :").format(origin=origin),
            text=self.settings.platform_names.get(origin, ""),
        )
        if ok:
            self.rename(origin, name)

    def rename(self, origin: str, name: str) -> None:
        """Name a platform (empty: back to its address); written to the settings file at once."""
        names = {**self.settings.platform_names}
        if name.strip():
            names[origin] = name.strip()
        else:
            names.pop(origin, None)
        stored = Settings.load()
        stored.platform_names = dict(names)
        stored.save()
        # In place: the other pages hold this same mapping.
        self.settings.platform_names.clear()
        self.settings.platform_names.update(names)
        self.refresh()

    def save(self) -> bool:
        """Check, then write the settings file (the other settings in it are kept)."""
        tsa = self.tsa.text().strip()
        if tsa and not tsa.startswith(("https://", "http://")):
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(_("L'adresse du serveur d'horodatage doit commencer par https:// ou http://."))
            return False
        missing = [
            p for p in self.cas.values() + self.modules.values() + self.anchors.values() if not Path(p).is_file()
        ]
        if missing:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(_("Fichier introuvable : {path}").format(path=missing[0]))
            return False
        from assistant.errors import AssistantError
        from assistant.signing.anchors import load_certificates

        try:  # an anchor that is not a certificate is said now, not at the next verification
            load_certificates(self.anchors.values())
        except AssistantError as exc:
            self.message.setStyleSheet(ERROR_STYLE)
            self.message.setText(exc.message)
            return False
        if self.autostart.isChecked() != self._autostart_was:
            from assistant.autostart import set_autostart

            try:
                self._autostart_was = set_autostart(self.autostart.isChecked()).enabled
            except Exception as exc:  # AutostartError: the entry could not be written
                self.message.setStyleSheet(ERROR_STYLE)
                self.message.setText(str(getattr(exc, "message", None) or exc))
                return False
        stored = Settings.load()
        for target in (stored, self.settings):
            target.tsa_url = tsa
            target.platform_ca_files = self.cas.values()
            target.pkcs11_modules = self.modules.values()
            target.verify_trust_anchors = self.anchors.values()
            target.language = str(self.language.currentData())
            if self.updates.isEnabled():
                target.update_check = self.updates.isChecked()
        stored.save()
        self.message.setStyleSheet("color: #2e8b57;")
        self.message.setText(_("Réglages enregistrés."))
        return True
