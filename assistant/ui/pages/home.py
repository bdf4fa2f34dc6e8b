"""Accueil: is the assistant online, where does the bridge listen, which platforms may use it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assistant import APP_NAME, __version__
from assistant.bridge import trust
from assistant.bridge.origins import OriginRegistry
from assistant.i18n import N_, _
from assistant.settings import Settings
from assistant.ui import trust_offer
from assistant.ui.platforms import platform_label
from assistant.ui.tasks import BackgroundTask, run_in_background
from assistant.ui.widgets import StatusLine, page_header, section
from assistant.update.notice import mark_seen, pending_notice

if TYPE_CHECKING:
    from assistant.bridge.server import BridgeServer

NOTICE_STYLE = "color: #8a5a00; background: #fff4d6; padding: 6px;"
ONLINE = N_("État de l'assistant : <b>En ligne</b>")
OFFLINE = N_("État de l'assistant : <b>Hors ligne</b>")


class HomePage(QWidget):
    def __init__(
        self,
        bridge: BridgeServer | None,
        settings: Settings,
        navigate: Callable[[str], None],
        demo_url: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.settings = settings
        layout = QVBoxLayout(self)
        layout.addWidget(
            page_header(_("Accueil"), _("{name} — version {version}").format(name=APP_NAME, version=__version__))
        )

        # What the last start's update did wrong (a new version that did not start, rolled back):
        # said here once, since the launcher could only print it where nobody looks.
        self.update_notice = pending_notice()
        self.update_banner = QWidget()
        self.update_banner.setObjectName("updateBanner")
        banner_row = QHBoxLayout(self.update_banner)
        banner_row.setContentsMargins(0, 0, 0, 0)
        self.update_text = QLabel(self.update_notice.text if self.update_notice else "")
        self.update_text.setObjectName("updateNotice")
        self.update_text.setWordWrap(True)
        self.update_text.setStyleSheet(NOTICE_STYLE)
        self.update_text.setAccessibleName(_("Mise à jour"))
        banner_row.addWidget(self.update_text, 1)
        dismiss = QPushButton(_("Compris"))
        dismiss.setObjectName("updateNoticeDismiss")
        dismiss.setAccessibleDescription(_("Masquer ce message sur la mise à jour"))
        dismiss.clicked.connect(self.dismiss_update_notice)
        banner_row.addWidget(dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.update_banner.setVisible(self.update_notice is not None)
        layout.addWidget(self.update_banner)

        self.status = StatusLine()
        self.status.setObjectName("bridgeStatus")
        layout.addWidget(self.status)
        self.status_detail = QLabel()
        self.status_detail.setWordWrap(True)
        layout.addWidget(self.status_detail)

        self.bridge_url = QLabel()
        self.bridge_url.setObjectName("bridgeUrl")
        self.bridge_url.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.bridge_url)

        trust_row = QHBoxLayout()
        self.trust_status = StatusLine()
        self.trust_status.setObjectName("trustStatus")
        trust_row.addWidget(self.trust_status, 1)
        self.trust_button = QPushButton(_(trust_offer.TRUST_BUTTON))
        self.trust_button.setObjectName("trustBrowsers")
        self.trust_button.clicked.connect(self.trust_browsers)
        trust_row.addWidget(self.trust_button, 0)
        layout.addLayout(trust_row)
        self._trust_check: BackgroundTask | None = None
        self.trust_dialog: trust_offer.TrustOfferDialog | None = None

        if demo_url:
            demo = QLabel(_('Plateforme de démonstration : <a href="{url}">{url}</a>').format(url=demo_url))
            demo.setObjectName("demoUrl")
            demo.setOpenExternalLinks(True)
            layout.addWidget(demo)

        layout.addWidget(section(_("Plateformes autorisées")))
        hint = QLabel(
            _(
                "Ces plateformes peuvent demander à l'assistant de signer, de télécharger ou de déchiffrer "
                "(toujours avec votre accord et votre code PIN). Une nouvelle plateforme vous est proposée "
                "la première fois qu'elle se présente."
            )
        )
        hint.setWordWrap(True)
        layout.addWidget(hint)
        row = QHBoxLayout()
        self.origins = QListWidget()
        self.origins.setObjectName("approvedOrigins")
        self.origins.setAccessibleName(_("Plateformes autorisées"))
        self.origins.setMaximumHeight(130)
        row.addWidget(self.origins, 1)
        self.revoke_button = QPushButton(_("Retirer l'autorisation"))
        self.revoke_button.setObjectName("revokeOrigin")
        self.revoke_button.clicked.connect(self._revoke_selected)
        row.addWidget(self.revoke_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)

        layout.addWidget(section(_("Que voulez-vous faire ?")))
        actions = QHBoxLayout()
        for text, page in (
            (_("Signer des fichiers…"), "sign"),
            (_("Mes certificats"), "certificates"),
            (_("Tester la configuration de mon poste"), "diagnostics"),
        ):
            button = QPushButton(text)
            button.setMinimumHeight(34)
            button.clicked.connect(lambda _checked=False, p=page: navigate(p))
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)
        layout.addStretch(1)
        # A platform approved from a dialog while this page is open shows up without a click.
        self._timer = QTimer(self)
        self._timer.setInterval(3000)
        self._timer.timeout.connect(self._refresh_if_visible)
        self._timer.start()
        self.refresh()
        self.refresh_trust()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.update_notice is not None and self.window().isVisible():
            self.update_notice_seen()
        self.refresh()
        self.refresh_trust()

    def update_notice_seen(self) -> None:
        """The user has the update news before them (this page, or the tray's notification):
        it stays for this session, and is not repeated at the next start."""
        if self.update_notice is not None:
            mark_seen()

    def dismiss_update_notice(self) -> None:
        self.update_notice_seen()
        self.update_notice = None
        self.update_banner.setVisible(False)

    def refresh_trust(self) -> None:
        """Ask the browsers' stores (certutil: a process per store, hence off the GUI thread) whether
        they trust the bridge; not on the 3-second timer, only when the page shows or after a change."""
        identity = trust_offer.current_identity(self.bridge)
        if identity is None:
            self.trust_status.set(
                "skipped", _("Confiance des navigateurs : l'assistant n'a pas encore été démarré sur ce poste")
            )
            self.trust_button.setEnabled(False)
            return
        self.trust_button.setEnabled(True)
        if self._trust_check is not None and not self._trust_check.finished_event.is_set():
            return
        if not self.trust_status.text():
            self.trust_status.set("running", _("Confiance des navigateurs : vérification…"))

        def work(_progress: object) -> list[trust.TargetStatus]:
            return trust.status(identity)

        self._trust_check = run_in_background(work, self._show_trust, self._trust_failed, name="trust-status")

    def _show_trust(self, statuses: list[trust.TargetStatus]) -> None:
        self.trust_status.set(*trust_offer.describe_status(statuses))

    def _trust_failed(self, exc: Exception) -> None:
        self.trust_status.set(
            "warning", _("Confiance des navigateurs : vérification impossible ({reason})").format(reason=exc)
        )

    def trust_browsers(self) -> None:
        """The "Faire confiance dans les navigateurs" button: the click is the consent."""
        identity = trust_offer.current_identity(self.bridge)
        if identity is None:
            return
        dialog = trust_offer.TrustOfferDialog(identity, self, ask=False)
        dialog.finished_callbacks.append(self.refresh_trust)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.trust_dialog = dialog
        dialog.show()

    def _refresh_if_visible(self) -> None:
        if self.isVisible():
            selected = self.origins.currentRow()
            self.refresh()
            if 0 <= selected < self.origins.count():
                self.origins.setCurrentRow(selected)

    def _registry(self) -> OriginRegistry:
        return self.bridge.registry if self.bridge is not None else OriginRegistry()

    def approved_origins(self) -> list[str]:
        return list(self._registry().list())

    def refresh(self) -> None:
        online = self.bridge is not None and not self.bridge.stopping.is_set()
        if online and self.bridge is not None:
            self.status.set("ok", _(ONLINE))
            self.status_detail.setText(
                _(
                    "L'application est lancée sur votre poste, et est prête à l'utilisation par les plateformes autorisées."
                )
            )
            self.bridge_url.setText(_("Adresse de connexion des plateformes : {url}").format(url=self.bridge.url))
        else:
            self.status.set("skipped", _(OFFLINE))
            self.status_detail.setText(
                _(
                    "Le service de connexion n'est pas démarré : les pages des plateformes ne peuvent pas joindre l'assistant. "
                    "Les fonctions de cette fenêtre restent disponibles."
                )
            )
            self.bridge_url.setText(_("Adresse de connexion des plateformes : aucune"))
        self.origins.clear()
        origins = self.approved_origins()
        for origin in origins:
            item = QListWidgetItem(platform_label(origin, self.settings.platform_names))
            item.setData(Qt.ItemDataRole.UserRole, origin)
            item.setToolTip(origin)
            self.origins.addItem(item)
        if not origins:
            self.origins.addItem(_("Aucune plateforme autorisée pour l'instant."))
            self.origins.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self.revoke_button.setEnabled(bool(origins))

    def _revoke_selected(self) -> None:
        item = self.origins.currentItem()
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsSelectable:
            return
        self._registry().revoke(str(item.data(Qt.ItemDataRole.UserRole)))
        self.refresh()
