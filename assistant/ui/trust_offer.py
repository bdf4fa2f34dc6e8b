"""Asking the user, once, whether the browsers may trust the bridge's local certificate.

Platform pages reach the assistant at https://127.0.0.1; a browser only accepts that connection
if its trust store holds the bridge's CA. Adding it changes the user's browsers, so it is done
only after an explicit "Autoriser", and a "Plus tard" is remembered (trust.record_declined) so
the question does not come back at every start. The work itself (certutil into Chrome's NSS db
and the Firefox profiles) is assistant.bridge.trust's; it runs off the GUI thread because it
starts processes. No certificate is read or built here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from assistant.bridge import ca, trust
from assistant.i18n import N_, _
from assistant.progress import ProgressCallback
from assistant.ui.tasks import BackgroundTask, run_in_background

if TYPE_CHECKING:
    from assistant.bridge.server import BridgeServer

TITLE = N_("Permettre à vos navigateurs de joindre l'assistant ?")
EXPLANATION = N_(
    "Pour que les pages des plateformes puissent joindre l'assistant, un certificat fabriqué pour cet "
    "ordinateur seul (valable uniquement pour l'adresse 127.0.0.1) va être ajouté aux magasins de "
    "confiance de vos navigateurs (Chrome/Chromium, Firefox). "
    "Il ne permet de sécuriser aucun autre site."
)
WORKING = N_("Ajout du certificat dans les magasins de vos navigateurs…")
TRUST_BUTTON = N_("Faire confiance dans les navigateurs")


def current_identity(bridge: BridgeServer | None) -> ca.BridgeIdentity | None:
    """The CA the running bridge serves with, else the one on disk; None before any first start."""
    if bridge is not None and bridge.identity is not None:
        return bridge.identity
    return ca.load()


def describe_outcomes(outcomes: Sequence[trust.Outcome]) -> tuple[bool, str]:
    """(all succeeded, the French summary the user reads: one line per browser store)."""
    if not outcomes:
        return False, _("Aucun magasin de navigateur n'a été trouvé sur ce poste.")
    lines = []
    for outcome in outcomes:
        if outcome.ok:
            lines.append(_("✓ {browser} : certificat ajouté").format(browser=outcome.target.browser))
        else:
            lines.append(
                _("✗ {browser} : échec — {reason}").format(browser=outcome.target.browser, reason=outcome.message)
            )
    all_ok = all(o.ok for o in outcomes)
    tail = (
        _("Redémarrez vos navigateurs pour qu'ils en tiennent compte.")
        if all_ok
        else _("Les navigateurs en échec ne pourront pas joindre l'assistant.")
    )
    return all_ok, "\n".join([*lines, tail])


def describe_status(statuses: Sequence[trust.TargetStatus]) -> tuple[str, str]:
    """(StatusLine status, French sentence) for the Accueil page."""
    present = [s for s in statuses if s.detail != "base NSS absente"]
    if not present:
        return "warning", _("Confiance des navigateurs : <b>aucun magasin de navigateur trouvé</b>")
    missing = [s.target.browser for s in present if not s.trusted]
    if not missing:
        names = ", ".join(s.target.browser for s in present)
        return "ok", _("Confiance des navigateurs : <b>reconnu</b> ({names})").format(names=names)
    return "warning", _("Confiance des navigateurs : <b>non reconnu</b> par {names}").format(names=", ".join(missing))


def start_trust(
    identity: ca.BridgeIdentity,
    on_done: Callable[[list[trust.Outcome]], None],
    on_failed: Callable[[Exception], None],
) -> BackgroundTask:
    """Run trust.trust on a worker thread; the callbacks come back on the GUI thread."""

    def work(_progress: ProgressCallback) -> list[trust.Outcome]:
        return trust.trust(identity)

    return run_in_background(work, on_done, on_failed, name="bridge-trust")


class TrustOfferDialog(QDialog):
    """The question, then (after "Autoriser") the result in the same window."""

    def __init__(self, identity: ca.BridgeIdentity, parent: QWidget | None = None, *, ask: bool = True) -> None:
        super().__init__(parent)
        self.identity = identity
        self.setObjectName("trustOfferDialog")
        self.setWindowTitle(_(TITLE))
        self.setMinimumWidth(520)
        self.task: BackgroundTask | None = None
        self.outcomes: list[trust.Outcome] | None = None
        layout = QVBoxLayout(self)
        heading = QLabel(f"<b>{_(TITLE)}</b>")
        heading.setObjectName("trustHeading")
        heading.setWordWrap(True)
        layout.addWidget(heading)
        self.message = QLabel(_(EXPLANATION))
        self.message.setObjectName("trustMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.message)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.later = QPushButton(_("Plus tard"))
        self.later.setObjectName("trustLater")
        self.later.clicked.connect(self._decline)
        buttons.addWidget(self.later)
        self.allow = QPushButton(_("Autoriser"))
        self.allow.setObjectName("trustAllow")
        self.allow.setDefault(True)
        self.allow.clicked.connect(self._accept)
        buttons.addWidget(self.allow)
        self.close_button = QPushButton(_("Fermer"))
        self.close_button.setObjectName("trustClose")
        self.close_button.clicked.connect(self.accept)
        self.close_button.hide()
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.finished_callbacks: list[Callable[[], None]] = []
        if not ask:  # the Accueil button: the user already asked for it
            QTimer.singleShot(0, self._accept)

    def _decline(self) -> None:
        trust.record_declined(self.identity)
        self.reject()

    def _accept(self) -> None:
        self.allow.setEnabled(False)
        self.later.setEnabled(False)
        self.message.setText(_(WORKING))
        self.task = start_trust(self.identity, self._show_outcomes, self._show_error)

    def _show_outcomes(self, outcomes: list[trust.Outcome]) -> None:
        self.outcomes = outcomes
        _ok, summary = describe_outcomes(outcomes)
        self._finish(summary)

    def _show_error(self, exc: Exception) -> None:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        self._finish(_("✗ Le certificat n'a pas pu être ajouté : {reason}").format(reason=message))

    def _finish(self, text: str) -> None:
        self.message.setText(text)
        self.allow.hide()
        self.later.hide()
        self.close_button.show()
        self.close_button.setDefault(True)
        for callback in self.finished_callbacks:
            callback()


def offer_at_start(parent: QWidget, bridge: BridgeServer | None) -> TrustOfferDialog | None:
    """Show the question if the bridge has a CA and the user has neither accepted nor declined yet."""
    identity = current_identity(bridge)
    if identity is None or not trust.should_offer(identity):
        return None
    dialog = TrustOfferDialog(identity, parent)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
    return dialog
