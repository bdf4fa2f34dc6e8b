"""What a job may ask the person in front of the screen.

Jobs never show anything themselves: they ask through a `UserInteraction`. The Qt implementation
(assistant/ui/) marshals the question to the GUI thread and shows a dialog; `HeadlessInteraction`
answers for the CLI and `assistant run --headless`, where the operator approved one key (and named
the environment variable holding its PIN) for the whole session.
"""

from __future__ import annotations

import errno
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from assistant.errors import OutputError
from assistant.i18n import M_, Message, _
from assistant.progress import CancelToken
from assistant.settings import Settings

if TYPE_CHECKING:  # annotations only: `assistant download` should not pay for cryptography's import
    from assistant.jobs.model import Job
    from assistant.jobs.params import Consultation
    from assistant.keystores.base import Credential, PinCallback, PinRequest


@dataclass(frozen=True)
class DownloadSummary:
    """What a bulk download will fetch, shown while the user chooses where it goes.

    The original assistant's card says "Nombre de plis chiffrés à télécharger : 2"; the other
    figures let a view say more (how many files, how big, which consultations).
    """

    plis: int
    files: int
    bytes: int
    consultations: tuple[str, ...]

    @classmethod
    def of(cls, consultations: Sequence[Consultation]) -> DownloadSummary:
        plis = [pli for c in consultations for pli in c.plis]
        files = [f for pli in plis for envelope in pli.envelopes for f in envelope.files]
        return cls(
            plis=len(plis),
            files=len(files),
            bytes=sum(f.size for f in files),
            consultations=tuple(c.shown_reference for c in consultations),
        )


def _folder_reason(exc: OSError) -> Message:
    """Why a folder cannot be used, in words (strerror is in the system's language, often English)."""
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return M_("un élément du chemin est un fichier, pas un dossier")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return M_("vous n'avez pas le droit d'écrire à cet endroit")
    if exc.errno == errno.EROFS:
        return M_("le disque est en lecture seule")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return M_("le disque est plein")
    if exc.errno == errno.ENAMETOOLONG:
        return M_("le chemin est trop long")
    return M_("erreur du système ({detail})", detail=exc.strerror or type(exc).__name__)


def prepare_download_folder(folder: Path | str) -> Path:
    """Make sure the downloads can go to `folder`: absolute, a folder (created if missing), writable.

    Writability is tried for real (a temporary file, removed at once): permission bits do not tell
    the truth for root, ACLs, read-only mounts or network shares. Raises OutputError with the French
    sentence the user sees under the folder field.
    """
    text = str(folder).strip()
    if not text:
        raise OutputError(
            M_("Sélectionnez le répertoire de destination des plis chiffrés."),
        )
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise OutputError(
            M_("« {text} » n'est pas un chemin complet : choisissez le répertoire avec « Parcourir ».", text=text),
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(path))
        with tempfile.TemporaryFile(dir=path, prefix=".assistant-test-"):
            pass
    except OSError as exc:
        raise OutputError(
            M_(
                "Le répertoire « {path} » ne peut pas recevoir les plis chiffrés : {reason}. Choisissez un autre "
                "répertoire.",
                path=path,
                reason=_folder_reason(exc),
            )
        ) from None
    return path


@dataclass(frozen=True)
class FileToSign:
    """One file a page asks to sign, as the user is shown it before consenting."""

    name: str
    size: int
    format: str  # "PAdES", "CAdES", "XAdES"


@runtime_checkable
class UserInteraction(Protocol):
    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        """The user picks the certificate for this job; None when he cancels."""

    def ask_pin(self, request: PinRequest) -> str | None:
        """The PIN or password for a store; None when the user cancels. Never stored."""

    def approve_origin(self, origin: str, code: str = "") -> bool:
        """May this platform (a web origin) use the assistant? `code` (6 digits) is shown with the
        question when a page asks to be connected: the user types it into the page."""

    def confirm(self, job: Job, message_fr: str) -> bool:
        """A yes/no question in French (overwrite a folder, keep decrypted files...)."""

    def approve_signature(self, job: Job, files: list[FileToSign]) -> bool:
        """A page asks to sign these files: the user sees the platform and every file (name, size,
        format) and consents, each time, before a certificate is chosen (even with a key that is
        already unlocked). False refuses: nothing is signed."""

    def choose_download_folder(
        self, job: Job, proposed: Path, summary: DownloadSummary, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        """Where a page-queued bulk download goes ("Répertoire de destination"); None when the user
        cancels (the job then ends cancelled, nothing written).

        `proposed` is the folder last chosen for this platform, or the downloads folder under the
        platform's name. `error` is set when the previous answer could not be used (the French
        reason, to show beside the field); the job asks again. `cancel` is set when the job is
        cancelled meanwhile (by the page or the user): the question should then go away and
        answer None.
        """


@dataclass(frozen=True)
class BidQuestion:
    """What the window shows while the user picks the bid folder of a page's "Préparer mon dépôt":
    who asks and the rules the platform published (no local path: the page never names one)."""

    platform: str
    formats: tuple[str, ...]
    extensions: tuple[str, ...]
    max_file_size: int | None
    deadline: str | None


@runtime_checkable
class BidFolderChooser(Protocol):
    """An interaction that can ask for the bid folder of "Préparer mon dépôt" (the window's).

    Kept apart from `UserInteraction` on purpose: a headless interaction has nobody to choose and
    must not pick a folder on its own, so it does not implement this, and the job fails saying so.
    """

    def choose_bid_folder(
        self, job: Job, question: BidQuestion, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        """The bid folder the user picked; None when he cancels. `error` is the French reason the
        previous answer could not be used (shown beside the question)."""


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
        #: Origins approved for this session only (the demo platform of `assistant run --demo`).
        self.session_origins: set[str] = set()
        self.settings = settings
        self.confirm_all = confirm_all

    # -- UserInteraction --------------------------------------------------------------------

    def choose_credential(self, job: Job, candidates: list[Credential]) -> Credential | None:
        if not self.key_spec:
            return None
        wanted = self._fingerprint_of_spec()
        if wanted is None:
            from assistant.keystores.selection import release, resolve_key

            resolved: Credential = resolve_key(
                self.key_spec, self.ask_pin, settings=self.settings, allow_module_path=True
            )
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

    def approve_origin(self, origin: str, code: str = "") -> bool:
        if self.approve_origins or origin in self.session_origins:
            approved = True
        else:
            settings = self.settings or Settings.load()
            approved = origin in settings.approved_origins
        if approved and code:
            # Nobody sees a window: the code goes to the terminal of the user who runs the assistant.
            print(
                _("Connexion de la page {origin} : code {code}").format(origin=origin, code=code),
                file=sys.stderr,
                flush=True,
            )
        return approved

    def approve_signature(self, job: Job, files: list[FileToSign]) -> bool:
        """Without a window the operator consented when starting it with the session's key."""
        return True

    def confirm(self, job: Job, message_fr: str) -> bool:
        return self.confirm_all

    def choose_download_folder(
        self, job: Job, proposed: Path, summary: DownloadSummary, *, error: str = "", cancel: CancelToken | None = None
    ) -> Path | None:
        """The proposed folder: nobody is there to choose. (If it cannot be used, the job fails
        with the reason rather than asking forever.)"""
        return proposed

    # -- helpers ----------------------------------------------------------------------------

    @property
    def pin_callback(self) -> PinCallback:
        return self.ask_pin

    def _fingerprint_of_spec(self) -> str | None:
        spec = (self.key_spec or "").strip()
        if spec.lower().startswith("sha256:"):
            return spec[7:].replace(":", "").strip().lower()
        return None
