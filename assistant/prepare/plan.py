"""Which signature each file gets: the proposal, and the user's changes to it.

PAdES for PDFs (the signature travels inside the document, which buyers open in any PDF reader),
XAdES for the rest (the original assistant's default for non-PDF files), CAdES when the platform
accepts only that; always among the formats the platform publishes. A ZIP holding documents is
proposed with "sign the files inside first": the documents are signed one by one, put back in
the archive beside their signatures, then the archive itself is signed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from assistant.errors import Code, UsageError
from assistant.i18n import M_
from assistant.prepare.errors import PrepareCode
from assistant.prepare.rules import PlatformRules
from assistant.prepare.scan import BidFile, BidFolder, FileKind
from assistant.signing.formats import SignFormat, parse_format

_DETACHED_PREFERENCE = (SignFormat.XADES, SignFormat.CADES)


@dataclass(frozen=True)
class PlannedFile:
    file: BidFile
    format: SignFormat
    #: ZIP only: sign the documents inside, re-zip with their signatures, then sign the archive.
    sign_inside: bool = False
    #: The format of the non-PDF documents inside a ZIP (PDFs inside get PAdES when accepted).
    inner_format: SignFormat = SignFormat.XADES


@dataclass(frozen=True)
class BidPlan:
    bid: BidFolder
    rules: PlatformRules
    files: tuple[PlannedFile, ...]

    def find(self, relative: str | PurePosixPath) -> PlannedFile:
        wanted = PurePosixPath(relative)
        for item in self.files:
            if item.file.relative == wanted:
                return item
        raise UsageError(
            M_("Fichier absent du dépôt : {relative}", relative=relative),
            code=PrepareCode.FILE_NOT_IN_BID,
        )

    def with_format(self, relative: str | PurePosixPath, fmt: SignFormat | str) -> BidPlan:
        """The same plan with one file's format changed (the user's choice in the table)."""
        chosen = parse_format(fmt)
        target = self.find(relative)
        if chosen is SignFormat.PADES and target.file.kind is not FileKind.PDF:
            raise UsageError(
                M_("PAdES ne s'applique qu'aux PDF ; {name} n'en est pas un.", name=target.file.name),
                code=Code.NOT_A_PDF,
            )
        return self._replace(target, replace(target, format=chosen))

    def with_sign_inside(self, relative: str | PurePosixPath, sign_inside: bool) -> BidPlan:
        target = self.find(relative)
        if target.file.kind is not FileKind.ZIP:
            raise UsageError(
                M_("{name} n'est pas une archive ZIP.", name=target.file.name),
                code=PrepareCode.NOT_A_ZIP,
            )
        return self._replace(target, replace(target, sign_inside=sign_inside and not target.file.zip_problem))

    def _replace(self, old: PlannedFile, new: PlannedFile) -> BidPlan:
        return replace(self, files=tuple(new if item is old else item for item in self.files))

    @property
    def zips_with_unsigned_content(self) -> tuple[PlannedFile, ...]:
        return tuple(p for p in self.files if p.file.kind is FileKind.ZIP and p.file.members and not p.sign_inside)


def detached_format(rules: PlatformRules) -> SignFormat:
    for fmt in _DETACHED_PREFERENCE:
        if rules.accepts_format(fmt):
            return fmt
    return SignFormat.XADES  # the platform takes PAdES only: flagged as a problem for non-PDFs


def propose_format(file: BidFile, rules: PlatformRules) -> SignFormat:
    if file.kind is FileKind.PDF and rules.accepts_format(SignFormat.PADES) and not file.pdf_problem:
        return SignFormat.PADES
    return detached_format(rules)


def make_plan(bid: BidFolder, rules: PlatformRules) -> BidPlan:
    """The proposal: a format per file; ZIPs holding documents signed inside first."""
    inner = detached_format(rules)
    planned = tuple(
        PlannedFile(
            file=f,
            format=propose_format(f, rules),
            sign_inside=f.kind is FileKind.ZIP and bool(f.members) and not f.zip_problem,
            inner_format=inner,
        )
        for f in bid.files
    )
    return BidPlan(bid, rules, planned)


def inner_format_for(name: str, plan_item: PlannedFile, rules: PlatformRules) -> SignFormat:
    """The format of one document inside a ZIP."""
    if Path(name).suffix.lower() == ".pdf" and rules.accepts_format(SignFormat.PADES):
        return SignFormat.PADES
    return plan_item.inner_format
