""" "Préparer mon dépôt" started by a platform's page: the user picks the bid folder in the window,
sees what will be signed and confirms, signs the whole bid with one PIN; the page learns what it
may (counts, formats, problems, the upload estimate and the deadline margin), never a local path.

The work itself is assistant/prepare/ (the same code as `assistant prepare` and the window's page).
The platform's deposit rules come from the descriptor, validated there (their upload-test URL on
the page's origin); the bid folder never does: a page cannot make the assistant read a folder.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError, CancelledError, InputFileError
from assistant.i18n import M_, _, current_language
from assistant.jobs.context import JobContext, JobFailed
from assistant.jobs.errors import JobCode
from assistant.jobs.interaction import BidFolderChooser, BidQuestion
from assistant.jobs.params import PrepareParams
from assistant.jobs.results import PrepareResult
from assistant.jobs.runners.keys import credential_for_job
from assistant.progress import Phase, ProgressUpdate

STEPS = 4


class BidFolderNeedsUserError(AssistantError):
    """Nobody can pick the bid folder (headless assistant): the job stops, nothing is read."""

    code: str = JobCode.BID_FOLDER_NEEDS_USER


class PrepareFailedError(AssistantError):
    code: str = JobCode.PREPARE_FAILED


def run(ctx: JobContext, params: PrepareParams) -> PrepareResult:
    from assistant.prepare.checks import Problem, Severity, deposit_size, find_problems
    from assistant.prepare.plan import make_plan
    from assistant.prepare.rules import PlatformRules, parse_rules
    from assistant.prepare.workflow import estimate_problems, prepare_deposit

    rules = (
        PlatformRules()
        if params.deposit_rules is None
        else parse_rules(params.deposit_rules, ctx.url_policy(), "params.deposit_rules")
    )
    if not rules.platform and ctx.platform:
        rules = replace(rules, platform=ctx.platform)
    ctx.report(ProgressUpdate(step=1, steps=STEPS, phase=Phase.PREPARE_BID), fraction=0.0)
    root, bid = _bid_folder(ctx, params, rules)
    plan = make_plan(bid, rules)
    destination = _destination(params, root)
    estimate, extra = None, []
    if rules.upload_test_url:
        from assistant.prepare.checks import deposited_files
        from assistant.prepare.estimate import estimate_upload, measure_upload

        try:
            measure = measure_upload(
                rules.upload_test_url, token=ctx.token, verify=ctx.settings.platform_ca_files or True, cancel=ctx.cancel
            )
            estimate = estimate_upload(deposit_size(plan), deposited_files(plan), measure, deadline=rules.deadline)
        except CancelledError:
            raise
        except AssistantError as exc:
            extra.append(Problem(Severity.WARNING, exc.code, exc.message_fr, exc.message_en))
    ctx.cancel.raise_if_cancelled()
    before = find_problems(plan) + estimate_problems(estimate) + extra
    if not ctx.confirm(_confirmation(plan, before, estimate)):
        raise CancelledError()
    ctx.report(ProgressUpdate(step=2, steps=STEPS, phase=Phase.CHOOSE_SIGNING_CERTIFICATE), fraction=0.1)
    credential, close = credential_for_job(ctx, "sign", params.key)
    try:

        def relay(update: ProgressUpdate) -> None:
            fraction = 0.1 + 0.85 * (update.fraction or 0.0)
            ctx.report(
                replace(update, step=3, steps=STEPS, phase=update.phase or Phase.SIGN, bytes_done=0, bytes_total=0),
                fraction=fraction,
            )

        tsa_url = (ctx.settings.tsa_url or None) if (params.level or "B-B") != "B-B" else None
        outcome = prepare_deposit(
            plan,
            credential,
            destination,
            level=params.level or "B-B",
            tsa_url=tsa_url,
            estimate=estimate,
            progress=relay,
            cancel=ctx.cancel,
        )
    finally:
        close()
    outcome.problems = extra + outcome.problems
    ctx.report(ProgressUpdate(step=4, steps=STEPS, phase=Phase.PREPARE_BID), fraction=1.0)
    result = _result(outcome, root, rules.deadline.isoformat() if rules.deadline else None)
    if outcome.result.folder is None:
        first = next((f.error for f in outcome.result.failed if f.error is not None), None)
        error = (
            first if first is not None else PrepareFailedError(M_("Le dépôt n'a pas été créé : rien n'a été écrit."))
        )
        raise JobFailed(error, result)
    return result


def _bid_folder(ctx: JobContext, params: PrepareParams, rules: Any) -> tuple[Path, Any]:
    """The bid folder and its scan: the local user's `folder`, else the user's pick in the window
    (an unusable answer is asked again with the reason; the same one twice fails the job)."""
    from assistant.prepare.scan import scan_bid

    if params.folder is not None:
        root = Path(params.folder).expanduser()
        return root, scan_bid(root, exclude=_destination(params, root))
    chooser = ctx.interaction
    if not isinstance(chooser, BidFolderChooser):
        raise BidFolderNeedsUserError(
            M_(
                "« Préparer mon dépôt » demande de choisir le dossier de la réponse dans la fenêtre de l'assistant : impossible sans fenêtre (mode sans interface). Lancez l'assistant avec sa fenêtre, ou utilisez « assistant prepare DOSSIER »."
            ),
        )
    question = BidQuestion(
        platform=rules.platform or ctx.platform or ctx.origin,
        formats=tuple(f.label for f in rules.formats),
        extensions=tuple(rules.extensions),
        max_file_size=rules.max_file_size,
        deadline=rules.deadline.isoformat() if rules.deadline else None,
    )
    error, refused = "", None
    while True:
        chosen = ctx.ask(
            functools.partial(chooser.choose_bid_folder, ctx.job, question, error=error, cancel=ctx.cancel)
        )
        if chosen is None:
            raise CancelledError()
        ctx.cancel.raise_if_cancelled()
        root = Path(chosen).expanduser()
        try:
            return root, scan_bid(root, exclude=_destination(params, root))
        except InputFileError as exc:
            if refused == root:
                raise
            refused, error = root, exc.message_fr


def _destination(params: PrepareParams, root: Path) -> Path:
    """The deposit folder: the local user's `out_dir`, else beside the bid (a free name)."""
    from assistant.prepare.deposit import default_destination

    return Path(params.out_dir).expanduser() if params.out_dir else _free(default_destination(root))


def _free(path: Path) -> Path:
    """`path`, or "path (2)", "path (3)"… when an earlier deposit is already there (never overwritten)."""
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        return path
    for number in range(2, 1000):
        candidate = path.with_name(f"{path.name} ({number})")
        if not candidate.exists():
            return candidate
    return path  # sign_bid refuses it with the reason


def _confirmation(plan: Any, problems: list[Any], estimate: Any) -> str:
    from assistant.prepare.checks import Severity
    from assistant.units import format_size

    # Asked now, in the user's language (the question is shown at once).
    formats = Counter(item.format.label for item in plan.files)
    lines = [
        _("Signer les {count} fichier(s) de « {name} » ({size}) avec un seul code PIN ?").format(
            count=len(plan.files), name=plan.bid.root.name, size=format_size(plan.bid.total_size, current_language())
        ),
        _("Formats : {formats}.").format(
            formats=", ".join(f"{name} × {count}" for name, count in sorted(formats.items()))
        ),
    ]
    zips = plan.zips_with_unsigned_content
    if zips:
        lines.append(_("{count} archive(s) ZIP : leur contenu ne serait pas signé.").format(count=len(zips)))
    inside = [item for item in plan.files if item.file.members and item.sign_inside]
    if inside:
        lines.append(
            _("{count} archive(s) ZIP : les fichiers qu'elles contiennent seront signés d'abord.").format(
                count=len(inside)
            )
        )
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if problems:
        lines.append(
            _("{count} problème(s) détecté(s), dont {errors} bloquant(s) :").format(
                count=len(problems), errors=len(errors)
            )
        )
        lines += [f"• {p.message}" for p in problems[:8]]
    if estimate is not None:
        lines.append(estimate.message)
    return "\n".join(lines)


def _result(outcome: Any, root: Path, deadline: str | None) -> PrepareResult:
    plan, estimate = outcome.plan, outcome.estimate
    margin = None
    estimate_json = None
    if estimate is not None:
        if estimate.deadline is not None:
            margin = round((estimate.deadline - estimate.now).total_seconds() - estimate.seconds, 1)
        estimate_json = {
            "seconds": round(estimate.seconds, 3),
            "rate_bytes_per_second": round(estimate.rate),
            "total_bytes": estimate.total_bytes,
            "files": estimate.files,
            "verdict": estimate.verdict.value,
            "latest_start": estimate.latest_start.isoformat() if estimate.latest_start else None,
            "message": estimate.message_fr,
            "message_en": estimate.message_en,
        }
    folder = outcome.result.folder
    return PrepareResult(
        files=len(plan.files),
        signed=sum(1 for f in outcome.result.files if f.ok),
        accepted=sum(1 for v in outcome.views if v.ok),
        formats=dict(Counter(item.format.label for item in plan.files)),
        zip_archives=sum(1 for item in plan.files if item.file.members),
        problems=tuple(_public_problem(p, root) for p in outcome.problems),
        certificate_sha256=_fingerprint(outcome.result.certificate),
        total_bytes=plan.bid.total_size,
        ok=outcome.ok,
        deadline=deadline,
        estimate=estimate_json,
        margin_seconds=margin,
        bid_folder=str(root),
        destination=str(folder) if folder else None,
        summary=str(outcome.summary) if outcome.summary else None,
        reports=str(outcome.reports) if outcome.reports else None,
    )


def _public_problem(problem: Any, root: Path) -> dict[str, Any]:
    """A problem as a page may read it: file names relative to the bid; a local path a message
    might quote (an error of the operating system) is cut to the bid's own name."""
    data: dict[str, Any] = problem.to_dict()
    for key in ("message", "message_en", "file"):
        text = str(data.get(key, ""))
        for local in {str(root.resolve()), str(root), str(root.parent)}:
            text = text.replace(local + "/", "").replace(local, root.name)
        data[key] = text
    return data


def _fingerprint(certificate: Any) -> str:
    from cryptography.hazmat.primitives import hashes

    return str(certificate.fingerprint(hashes.SHA256()).hex())
