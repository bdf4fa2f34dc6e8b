"""What a job may ask the person in front of the screen.

Jobs never show anything themselves: they ask through a `UserInteraction`. The Qt implementation
(assistant/ui/) marshals the question to the GUI thread and shows a dialog; `HeadlessInteraction`
answers for the CLI and `assistant run --headless`, where the operator approved one key (and named
the environment variable holding its PIN) for the whole session.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from assistant.settings import Settings

if TYPE_CHECKING:  # annotations only: `assistant download` should not pay for cryptography's import
    from assistant.jobs.model import Job
    from assistant.keystores.base import Credential, PinCallback, PinRequest


@runtime_checkable
class UserInteraction(Protocol):
    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        """The user picks the certificate for this job; None when he cancels."""

    def ask_pin(self, request: PinRequest) -> str | None:
        """The PIN or password for a store; None when the user cancels. Never stored."""

    def approve_origin(self, origin: str) -> bool:
        """May this platform (a web origin) use the assistant? Asked once per new origin."""

    def confirm(self, job: Job, message_fr: str) -> bool:
        """A yes/no question in French (overwrite a folder, keep decrypted files...)."""


class HeadlessInteraction:
    """Non-interactive answers: one approved key, its PIN from an environment variable.

    The PIN is read from the environment at the moment it is needed and handed straight to the
    store; it is never copied elsewhere. A wrong PIN is not retried with the same value (that
    would burn the card's retry counter): the second request gets None, which cancels.
    Origins are approved only when listed in the settings (or when `approve_origins` is set,
    for the demo).
    """

    def __init__(
        self,
        key_spec: str | None = None,
        pin_env: str | None = None,
        approve_origins: bool = False,
        *,
        settings: Settings | None = None,
        confirm_all: bool = False,
    ) -> None:
        self.key_spec = key_spec
        self.pin_env = pin_env
        self.approve_origins = approve_origins
        self.settings = settings
        self.confirm_all = confirm_all

    # -- UserInteraction --------------------------------------------------------------------

    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        if not self.key_spec:
            return None
        wanted = self._fingerprint_of_spec()
        if wanted is None:
            from assistant.keystores.selection import release, resolve_key

            resolved: Credential = resolve_key(self.key_spec, self.ask_pin, settings=self.settings, allow_module_path=True)
            wanted = resolved.fingerprint_sha256
            for candidate in candidates:
                if candidate.fingerprint_sha256 == wanted:
                    release(resolved)  # the candidate's store is the one the job closes
                    return candidate
            return resolved
        for candidate in candidates:
            if candidate.fingerprint_sha256 == wanted:
                return candidate
        return None

    def ask_pin(self, request: PinRequest) -> str | None:
        if request.retry or not self.pin_env:
            return None
        if request.protected_path:
            return ""
        return os.environ.get(self.pin_env)

    def approve_origin(self, origin: str) -> bool:
        if self.approve_origins:
            return True
        settings = self.settings or Settings.load()
        return origin in settings.approved_origins

    def confirm(self, job: Job, message_fr: str) -> bool:
        return self.confirm_all

    # -- helpers ----------------------------------------------------------------------------

    @property
    def pin_callback(self) -> PinCallback:
        return self.ask_pin

    def _fingerprint_of_spec(self) -> str | None:
        spec = (self.key_spec or "").strip()
        if spec.lower().startswith("sha256:"):
            return spec[7:].replace(":", "").strip().lower()
        return None
