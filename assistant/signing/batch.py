"""Signing a batch of files in one format with one key: what the UI wizard, the platform's remote
signing job and `assistant sign` all call.

One login for the whole batch (the store keeps its session; a PKCS#12 is opened once), progress
per file ("Signature du fichier 5 sur 8"), and a failure on one file is recorded in its result
while the others go on. Outputs are published only when complete (see `output.py`); originals are
only ever read.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from assistant.archives import is_archive
from assistant.errors import AssistantError, CancelledError, Code, InputFileError, UsageError
from assistant.i18n import M_, N_, _
from assistant.keystores.base import Credential, HashAlgorithm, KeyStoreError, SignatureMechanism
from assistant.keystores.errors import KeyStoreCode
from assistant.progress import CancelToken, Phase, ProgressCallback, ProgressUpdate, ignore_progress
from assistant.signing import naming
from assistant.signing.digest import FileDigest, hash_file
from assistant.signing.errors import SigningCode
from assistant.signing.formats import LONG_TERM_LEVELS, SignFormat, check_level, parse_format
from assistant.signing.output import write_new_file

if TYPE_CHECKING:
    from cryptography import x509

    from assistant.signing.stamp import VisibleSignature
    from assistant.signing.timestamp import PyHankoTimeStamper

log = logging.getLogger(__name__)

#: Said beside a signed ZIP (the French source; shown through the catalogue in the user's language).
ZIP_WARNING_FR = N_(
    "la signature d'un fichier ZIP ne signe pas chacun des documents qu'il contient : "
    "seule l'archive entière est signée."
)


@dataclass
class FileResult:
    source: Path
    format: SignFormat
    output: Path | None = None
    error: AssistantError | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None and self.output is not None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "source": str(self.source),
            "format": self.format.value,
            "output": str(self.output) if self.output else None,
        }
        if self.output is not None:
            data["folder"] = str(self.output.parent)
        if self.warnings:
            data["warnings"] = list(self.warnings)
        if self.error is not None:
            data["error"] = self.error.to_dict()
        return data


@dataclass
class BatchResult:
    results: list[FileResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(r.ok for r in self.results)

    @property
    def signed(self) -> int:
        return sum(1 for r in self.results if r.ok)


def check_certificate(credential: Credential, now: dt.datetime | None = None) -> None:
    """Refuse a certificate that would make an invalid signature, before asking for any PIN."""
    from cryptography import x509

    cert = credential.certificate
    now = now or dt.datetime.now(dt.UTC)
    name = cert.subject.rfc4514_string()
    if now > cert.not_valid_after_utc:
        until = cert.not_valid_after_utc.strftime("%d/%m/%Y")
        raise KeyStoreError(
            M_(
                "Le certificat de {name} a expiré le {until} : une signature faite avec lui ne serait pas valable.",
                name=name,
                until=until,
            ),
            code=SigningCode.CERTIFICATE_EXPIRED,
        )
    if now < cert.not_valid_before_utc:
        raise KeyStoreError(
            M_("Le certificat de {name} n'est pas encore valable : vérifiez l'horloge du poste.", name=name),
            code=SigningCode.CERTIFICATE_NOT_YET_VALID,
        )
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    if not (usage.digital_signature or usage.content_commitment):
        raise KeyStoreError(
            M_("Le certificat de {name} ne permet pas de signer (c'est un certificat de chiffrement).", name=name),
            code=SigningCode.CERTIFICATE_NOT_FOR_SIGNATURE,
        )


def _check_source(path: Path) -> None:
    if not path.exists():
        raise InputFileError(M_("Fichier introuvable : {path}", path=path), code=Code.FILE_NOT_FOUND)
    if not path.is_file():
        raise InputFileError(M_("{path} n'est pas un fichier.", path=path), code=SigningCode.NOT_A_FILE)
    if path.stat().st_size == 0:
        raise InputFileError(
            M_("Le fichier {name} est vide : il n'y a rien à signer.", name=path.name),
            code=SigningCode.EMPTY_FILE,
        )


class _Signer:
    """Per-batch state: the credential, the timestamp client, the options."""

    def __init__(
        self,
        credential: Credential,
        fmt: SignFormat,
        level: str,
        tsa_url: str | None,
        out_dir: Path | None,
        mechanism: SignatureMechanism | None,
        trust_roots: Sequence[x509.Certificate] | None = None,
        visible: VisibleSignature | None = None,
    ) -> None:
        from assistant.signing.timestamp import TsaClient

        self.credential = credential
        self.fmt = fmt
        self.level = level
        self.out_dir = out_dir
        self.mechanism = mechanism
        self.trust_roots = trust_roots
        self.visible = visible
        self.tsa = TsaClient(tsa_url) if level != "B-B" and tsa_url else None
        self._pdf_timestamper: PyHankoTimeStamper | None = None
        from assistant.signing.chain import signing_chain

        self.chain = signing_chain(credential)  # once per batch: it may list a token's objects

    def close(self) -> None:
        if self.tsa is not None:
            self.tsa.close()

    def sign_one(
        self, source: Path, progress: ProgressCallback, cancel: CancelToken | None, stage: ProgressUpdate
    ) -> Path:
        _check_source(source)
        # Absolute, so that the summary's "Répertoire de destination" names a real folder.
        folder = Path(os.path.abspath(self.out_dir or source.parent))
        if not folder.is_dir():
            from assistant.errors import OutputError

            raise OutputError(
                M_("Le dossier {folder} n'existe pas.", folder=folder),
                code=SigningCode.OUTPUT_MISSING,
            )
        if self.fmt is SignFormat.PADES:
            return self._sign_pdf(source, folder)
        digest = hash_file(source, HashAlgorithm.SHA256, progress=progress, cancel=cancel, stage=stage)
        if cancel is not None:
            cancel.raise_if_cancelled()
        target = naming.output_path(source, self.fmt, folder)
        if self.fmt is SignFormat.CADES:
            from assistant.signing.cades import sign_digest_cades

            blob = sign_digest_cades(
                self.credential, digest.digest, mechanism=self.mechanism, timestamper=self.tsa, chain=self.chain
            )
        else:
            from assistant.signing.xades import sign_digest_xades

            # The reference is the bare file name even with --out-dir: platforms store the
            # signature beside the file and resolve it by name (a "../in/x.zip" would break there).
            blob = sign_digest_xades(
                self.credential,
                source.name,
                digest.digest,
                mime_type=_mime_type(source),
                mechanism=self.mechanism,
                timestamper=self.tsa,
                chain=self.chain,
            )

        if self.level in LONG_TERM_LEVELS:
            blob = self._long_term(blob, source.name)
        if self.level == "B-LTA":
            blob = self._archive(blob, source, digest)

        def write(out: BinaryIO) -> None:
            out.write(blob)

        return write_new_file(target, write)

    def _long_term(self, blob: bytes, name: str) -> bytes:
        """Embed the validation data of the signer's and the TSA's certificates (CAdES/XAdES B-LT)."""
        from assistant.signing import validation_data

        if self.fmt is SignFormat.CADES:
            from assistant.signing.cades import add_validation_data, timestamp_token_of

            token = timestamp_token_of(blob)
        else:
            from assistant.signing.xades import add_validation_data  # type: ignore[assignment]

            token = _xades_token(blob)
        tsa_certs = [c.chosen for c in token["content"]["certificates"] if c.name == "certificate"] if token else []
        tsa_signer = _token_signer(token) if token is not None else None
        data = validation_data.collect(
            [self.credential.certificate, *([tsa_signer] if tsa_signer is not None else [])],
            [*self.chain, *tsa_certs],
            self.trust_roots,
            self.level,
            name,
        )
        return add_validation_data(blob, data)

    def _archive(self, blob: bytes, source: Path, digest: FileDigest) -> bytes:
        """B-LTA: an archive timestamp over the B-LT signature, its validation data included.

        `digest` is the file's SHA-256 computed for the signature (the archive imprint uses
        SHA-256 too): the stamp covers the bytes that were signed, and the file is not read again.
        """
        sha256 = digest.digest
        assert self.tsa is not None  # check_level insists on a TSA from B-T up
        if self.fmt is SignFormat.CADES:
            from assistant.signing import archive_cades

            def content_hash(algorithm: str) -> bytes:
                if algorithm != "sha256":
                    raise ValueError("the archive imprint is SHA-256")
                return sha256

            return archive_cades.add_archive_timestamp(
                blob, content_hash, self.tsa, validation_for=lambda token: self._stamp_data(token, source.name)
            )
        from assistant.signing import archive_xades
        from assistant.signing.xades import reference_uri

        return archive_xades.add_archive_timestamp(
            blob,
            {reference_uri(source.name): source},
            self.tsa,
            file_state=digest.state,
            validation_for=lambda token: self._stamp_data(token, source.name),
        )

    def _stamp_data(self, token: Any, name: str) -> Any:
        """The archive timestamp's own validation data: its TSA's chain and revocation, now."""
        from assistant.signing import validation_data

        return validation_data.for_timestamp(token, self.chain, self.trust_roots, self.level, name)

    def _sign_pdf(self, source: Path, folder: Path) -> Path:
        from assistant.signing import pades

        if source.suffix.lower() != ".pdf":
            with open(source, "rb") as fh:
                if b"%PDF-" not in fh.read(1024):
                    raise InputFileError(
                        M_(
                            "Le format PAdES ne s'applique qu'aux fichiers PDF ; {name} n'en est pas un (choisissez CAdES ou XAdES).",
                            name=source.name,
                        ),
                        code=Code.NOT_A_PDF,
                    )
        target = naming.output_path(source, self.fmt, folder, already_signed=pades.count_signatures(source))

        if self.tsa is not None and self._pdf_timestamper is None:
            from assistant.signing.timestamp import PyHankoTimeStamper

            self._pdf_timestamper = PyHankoTimeStamper(self.tsa)
        timestamper = self._pdf_timestamper

        def write(out: BinaryIO) -> None:
            with open(source, "rb") as src:
                pades.sign_pdf(
                    self.credential,
                    src,
                    out,
                    source.name,
                    mechanism=self.mechanism,
                    tsa=timestamper,
                    chain=self.chain,
                    level=self.level,
                    trust_roots=self.trust_roots,
                    visible=self.visible,
                )

        return write_new_file(target, write)


def _mime_type(path: Path) -> str:
    """For XAdES DataObjectFormat: what the signed file is, as far as its name tells."""
    import mimetypes

    guessed, _encoding = mimetypes.guess_type(path.name, strict=False)
    return guessed or "application/octet-stream"


def sign_files(
    credential: Credential,
    files: Sequence[Path],
    fmt: SignFormat | str,
    *,
    level: str = "B-B",
    tsa_url: str | None = None,
    out_dir: Path | None = None,
    progress: ProgressCallback = ignore_progress,
    cancel: CancelToken | None = None,
    mechanism: SignatureMechanism | None = None,
    trust_roots: Sequence[x509.Certificate] | None = None,
    visible: VisibleSignature | None = None,
) -> BatchResult:
    """Sign each file; never raise for one file's failure (it goes in that file's result).

    `visible` (PAdES only) adds a visible stamp to each signed PDF at the chosen place.

    `trust_roots` serve the long-term levels (B-LT and B-LTA), which validate the chain to
    collect its revocation data; None means the system's anchors.

    Raises only for what makes the whole batch impossible: an unknown format or level, a B-T
    without a timestamp authority, a certificate that cannot sign. Cancelling stops before the
    next file; the files not signed get a CancelledError result.
    """
    fmt = parse_format(fmt)
    level = check_level(level, tsa_url)
    if not files:
        raise UsageError(M_("Aucun fichier à signer."), code=Code.NO_FILES)
    check_certificate(credential)
    if visible is not None:
        visible.check()  # an unreadable image is refused before the PIN, not after
    batch = BatchResult()
    total = len(files)
    try:
        _login_early(credential)
    except AssistantError as exc:
        _fail_rest(batch, files, fmt, exc)
        return batch
    signer = _Signer(credential, fmt, level, tsa_url, out_dir, mechanism, trust_roots, visible)
    try:
        for index, raw_path in enumerate(files, start=1):
            source = Path(raw_path)
            result = FileResult(source, fmt)
            batch.results.append(result)
            stage = ProgressUpdate(
                step=index - 1, steps=total, phase=Phase.SIGN_FILE, item=index, items=total, element=source.name
            )
            if cancel is not None and cancel.cancelled:
                result.error = CancelledError()
                continue
            progress(stage)
            if fmt is not SignFormat.PADES and is_archive(source):
                result.warnings.append(_(ZIP_WARNING_FR))
            try:
                result.output = signer.sign_one(source, progress, cancel, stage)
            except AssistantError as exc:
                result.error = exc
                if isinstance(exc, KeyStoreError) and exc.code in (KeyStoreCode.PIN_CANCELLED, KeyStoreCode.PIN_LOCKED):
                    _fail_rest(batch, files[index:], fmt, exc)
                    break
            except Exception as exc:  # one file's unexpected failure must not lose the others
                log.exception("signing %s failed", source.name)
                result.error = AssistantError(
                    M_("La signature de {name} a échoué : {kind}.", name=source.name, kind=type(exc).__name__),
                    code=Code.SIGN_FAILED,
                )
            progress(replace(stage, step=index))
    finally:
        signer.close()
    return batch


def _login_early(credential: Credential) -> None:
    """Ask for the PIN before the first file, not after hashing it.

    With a 2 GB archive first in the batch, the user would otherwise wait minutes for the prompt
    and could walk away from it. The Credential interface has no login step, so this uses the
    stores' own (`Pkcs11Store.login`, `Pkcs12Store.unlocked`), reached through the credential's
    `_store` as keystores.selection.release does; other credentials log in at first use.
    """
    store = getattr(credential, "_store", None)
    for name in ("login", "unlocked"):
        method = getattr(store, name, None)
        if callable(method):
            # A mistyped PIN is asked again by the store itself (its prompt says the last one was
            # wrong and how many tries are left), for every job and every use of the key.
            method()
            return


def _fail_rest(batch: BatchResult, rest: Sequence[Path], fmt: SignFormat, exc: AssistantError) -> None:
    """After a cancelled or locked PIN, asking again for each file would be harassment."""
    for path in rest:
        batch.results.append(FileResult(Path(path), fmt, error=exc))


def _xades_token(xml: bytes) -> Any:
    import base64

    from asn1crypto import cms
    from lxml import etree

    from assistant.signing.xades import XADES

    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    node = root.find(f".//{{{XADES}}}EncapsulatedTimeStamp")
    return cms.ContentInfo.load(base64.b64decode(node.text or "")) if node is not None else None


def _token_signer(token: Any) -> Any:
    """The TSA's certificate in a timestamp token (the one its SignerInfo names)."""
    from assistant.signing.validation_data import timestamp_signer

    return timestamp_signer(token)
