"""The PIN / password prompt, callable from any thread.

A store asks for its PIN through a `PinCallback` from whatever thread runs the job; `QtPinCallback`
carries the question to the GUI thread, shows `PinDialog` and blocks the caller until the user
answers. The dialog says which card or file is asked for, warns when the retry counter is low or
when this is the last try before the card locks, and explains why the PIN is asked again (a key that
demands it for every signature). The PIN goes straight back to the caller: it is never logged, kept
in an attribute, or left in the field after the dialog closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from assistant.i18n import _, localized
from assistant.keystores.base import PinRequest, PinState
from assistant.ui.invoker import GuiClosedError, GuiInvoker

WARNING_STYLE = "color: #b03a2e; font-weight: bold;"
INFO_STYLE = "color: #1f4e8c;"


def texts_for(request: PinRequest) -> tuple[str, str, str]:
    """(window title, heading, field label) in the user's language for this request."""
    if request.new_secret:
        return (
            _("Nouveau mot de passe"),
            _("Choisissez le mot de passe de « {store} ».").format(store=request.store_label),
            _("Nouveau mot de passe :"),
        )
    if request.kind == "password":
        return (
            _("Mot de passe"),
            _("Saisissez le mot de passe du fichier de certificat « {store} ».").format(store=request.store_label),
            _("Mot de passe :"),
        )
    return (
        _("Code PIN"),
        _("Saisissez le code PIN de votre support : « {store} ».").format(store=request.store_label),
        _("Code PIN :"),
    )


def warning_for(request: PinRequest) -> str:
    """The line in red above the field, or "" when there is nothing to warn about."""
    if request.new_secret:
        return request.reason if request.retry else ""
    wrong = _("Mot de passe incorrect.") if request.kind == "password" else _("Code PIN incorrect.")
    if request.state is PinState.FINAL_TRY:
        return (wrong + " " if request.retry else "") + (
            _("Dernier essai : un nouveau code PIN erroné bloquera votre carte.")
        )
    if request.state is PinState.COUNT_LOW:
        if request.retry:
            return wrong + " " + _("Attention : plusieurs erreurs successives bloquent la carte.")
        return _("Attention : un code PIN erroné a déjà été saisi ; plusieurs erreurs bloquent la carte.")
    if request.retry:
        return wrong + " " + _("Veuillez réessayer.")
    return ""


class PinDialog(QDialog):
    def __init__(self, request: PinRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        title, heading, field_label = texts_for(request)
        self.setWindowTitle(title)
        self.setWindowFlag(Qt.WindowType.WindowStaysOnTopHint, True)
        self.setMinimumWidth(460)
        self.protected_path = request.protected_path

        layout = QVBoxLayout(self)
        self.heading = QLabel(heading)
        self.heading.setObjectName("pinHeading")
        self.heading.setWordWrap(True)
        layout.addWidget(self.heading)

        self.new_secret = request.new_secret
        self.reason = QLabel(request.reason)
        self.reason.setObjectName("pinReason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet(INFO_STYLE)
        self.reason.setVisible(bool(request.reason) and not (request.new_secret and request.retry))
        layout.addWidget(self.reason)
        # A password the user chooses: the rule is stated before typing.
        self.rule = QLabel(_("Règle : {rule}").format(rule=localized(request.rule, request.rule_en)))
        self.rule.setObjectName("pinRule")
        self.rule.setWordWrap(True)
        self.rule.setVisible(request.new_secret and bool(request.rule))
        layout.addWidget(self.rule)

        self.warning = QLabel(warning_for(request))
        self.warning.setObjectName("pinWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.setVisible(bool(self.warning.text()))
        layout.addWidget(self.warning)

        self.field = QLineEdit()
        self.field.setObjectName("pinField")
        self.field.setEchoMode(QLineEdit.EchoMode.Password)
        self.field.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.field_label = QLabel(field_label)
        if request.protected_path:
            pad = QLabel(
                _("Saisissez votre code PIN sur le clavier de votre lecteur de carte, puis cliquez sur « Continuer ».")
            )
            pad.setWordWrap(True)
            layout.addWidget(pad)
        else:
            layout.addWidget(self.field_label)
            layout.addWidget(self.field)
        self.field.setAccessibleName(field_label.rstrip(" :"))
        # Chosen passwords are typed twice; the dialog accepts only two equal entries.
        self.confirm = QLineEdit()
        self.confirm.setObjectName("pinConfirm")
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, False)
        self.confirm.setAccessibleName(_("Confirmation du mot de passe"))
        self.confirm_label = QLabel(_("Confirmez le mot de passe :"))
        self.mismatch = QLabel(_("Les deux saisies sont différentes."))
        self.mismatch.setObjectName("pinMismatch")
        self.mismatch.setStyleSheet(WARNING_STYLE)
        self.mismatch.setVisible(False)
        if request.new_secret and not request.protected_path:
            layout.addWidget(self.confirm_label)
            layout.addWidget(self.confirm)
            layout.addWidget(self.mismatch)

        self.buttons = QDialogButtonBox()
        self.ok_button = self.buttons.addButton(
            _("Continuer") if request.protected_path else _("Valider"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok_button.setObjectName("pinOk")
        self.cancel_button = self.buttons.addButton(_("Annuler"), QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setObjectName("pinCancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if not request.protected_path:
            self.ok_button.setEnabled(False)
            self.field.textChanged.connect(lambda _text: self._update_ok())
            self.confirm.textChanged.connect(lambda _text: self._update_ok())
            self.field.setFocus()

    def _update_ok(self) -> None:
        first = self.field.text()
        if not self.new_secret:
            self.ok_button.setEnabled(bool(first))
            return
        second = self.confirm.text()
        self.mismatch.setVisible(bool(second) and second != first)
        self.ok_button.setEnabled(bool(first) and first == second)

    def take_answer(self) -> str:
        """The typed secret, removed from the widget at once."""
        if self.protected_path:
            return ""
        value = self.field.text()
        self.field.clear()
        self.confirm.clear()
        return value


def start_pin_dialog(request: PinRequest, parent: QWidget | None, reply: Callable[[str | None], None]) -> PinDialog:
    """Show the dialog (GUI thread, no nested loop); `reply` gets the PIN, "" for a PIN pad, or None."""
    dialog = PinDialog(request, parent)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)

    def finished(code: int) -> None:
        answer = dialog.take_answer() if code == QDialog.DialogCode.Accepted.value else None
        dialog.field.clear()
        dialog.confirm.clear()
        dialog.deleteLater()
        reply(answer)

    dialog.finished.connect(finished)
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


class QtPinCallback:
    """A `PinCallback` for the stores, safe to call from worker threads."""

    def __init__(self, invoker: GuiInvoker, parent: QWidget | None = None) -> None:
        self._invoker = invoker
        self._parent = parent

    def __call__(self, request: PinRequest) -> str | None:
        try:
            answer = self._invoker.ask(lambda reply: start_pin_dialog(request, self._parent, reply))
        except GuiClosedError:
            return None
        return answer if isinstance(answer, str) else None
