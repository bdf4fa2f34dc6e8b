"""PINs, passwords and keys on the command line, shared by every subcommand.

A PIN or password never comes from argv (it would sit in the shell history and in `ps`): it
comes from an environment variable named by `--pin-env`/`--password-env`, or is typed on the
terminal without echo. This module stays light (no pyHanko, no lxml) so that `assistant decrypt`
on a multi-gigabyte envelope runs in a small process.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable

from assistant.commands.errors import CommandCode
from assistant.errors import UsageError
from assistant.i18n import M_, _
from assistant.keystores.base import Credential, PinCallback, PinIncorrectError, PinRequest, PinState


def env_secret(var: str) -> str:
    """The value of the environment variable `var`, or a clear error naming it."""
    if var not in os.environ:
        raise UsageError(
            M_("La variable d'environnement {var} n'est pas définie.", var=var),
            code=CommandCode.PIN_ENV_MISSING,
        )
    return os.environ[var]


def _what(request: PinRequest) -> str:
    if request.kind == "password":
        return _("Mot de passe de {store_label}").format(store_label=request.store_label)
    return _("Code PIN de {store_label}").format(store_label=request.store_label)


def make_pin_callback(pin_env: str | None, *, prompt: Callable[[str], str] = getpass.getpass) -> PinCallback:
    """A callback that reads the PIN from the environment variable, or asks on the terminal.

    From the environment a refused value is not sent again (that would burn the card's tries):
    the second request raises, naming the variable.
    """

    def from_env(request: PinRequest) -> str | None:
        assert pin_env is not None
        if request.retry:
            raise PinIncorrectError(
                M_(
                    "Le code PIN ou mot de passe de la variable {pin_env} est refusé par {store_label}.",
                    pin_env=pin_env,
                    store_label=request.store_label,
                ),
            )
        if request.reason:
            print(f"assistant: {request.reason}", file=sys.stderr)
        if request.protected_path:
            print(
                _("Saisissez le code PIN sur le clavier du lecteur ({store_label}).").format(
                    store_label=request.store_label
                ),
                file=sys.stderr,
            )
            return ""
        return os.environ.get(pin_env, "")

    def interactive(request: PinRequest) -> str | None:
        if request.reason:
            print(request.reason, file=sys.stderr)
        if request.retry:
            print(_("Code PIN ou mot de passe incorrect."), file=sys.stderr)
        if request.state is PinState.FINAL_TRY:
            print(_("Attention : un nouvel échec bloquera la carte."), file=sys.stderr)
        elif request.state is PinState.COUNT_LOW:
            print(_("Attention : il reste peu d'essais avant le blocage de la carte."), file=sys.stderr)
        if request.protected_path:
            print(
                _("Saisissez le code PIN sur le clavier du lecteur ({store_label}).").format(
                    store_label=request.store_label
                ),
                file=sys.stderr,
            )
            return ""
        if not sys.stdin.isatty() and prompt is getpass.getpass:
            return None
        try:
            return prompt(f"{_what(request)} : ")
        except (EOFError, KeyboardInterrupt):
            return None

    if pin_env:
        env_secret(pin_env)  # fail now, before any store is opened
        return from_env
    return interactive


def ask_secret(text: str) -> str | None:
    """One hidden entry on the terminal; None without a terminal or when the user gives up."""
    if not sys.stdin.isatty():
        return None
    try:
        return getpass.getpass(text)
    except (EOFError, KeyboardInterrupt):
        return None


def open_key(spec: str, pin_callback: PinCallback) -> Credential:
    """KEY as the user typed it: PKCS#11 URI (which may name its module), .p12/.pfx, sha256:, vault:."""
    from assistant.keystores.selection import resolve_key
    from assistant.settings import Settings

    return resolve_key(spec, pin_callback, settings=Settings.load(), allow_module_path=True)
