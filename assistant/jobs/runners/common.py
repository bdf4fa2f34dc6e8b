"""Helpers shared by runners: loading a descriptor from its URL, the platform client, folders."""

from __future__ import annotations

import os
import re
from dataclasses import fields, replace
from pathlib import Path
from typing import TypeVar

from assistant import paths
from assistant.errors import AssistantError
from assistant.i18n import M_, Message
from assistant.jobs.context import JobContext, JobFailed
from assistant.jobs.descriptor import DescriptorError, origin_of_url
from assistant.jobs.model import LOCAL_ORIGIN
from assistant.jobs.params import DownloadParams, OpenParams
from assistant.jobs.results import JobResult
from assistant.platform.client import PlatformClient
from assistant.transport import RedirectRule


def platform_client(ctx: JobContext, token: str | None, *, pool_size: int = 8) -> PlatformClient:
    """The one way a runner gets its platform client: the system's roots plus the user's
    `platform_ca_files`, and the job's origin rule as the redirect rule."""
    return PlatformClient(token, verify=ctx.settings.platform_ca_files, follow=redirect_rule(ctx), pool_size=pool_size)


def redirect_rule(ctx: JobContext) -> RedirectRule:
    """A redirect is followed only to a URL the job's descriptor could have named itself: the
    queuing page's origin or a host allowed in the settings (for the local user, the asked URL's
    own origin, as for a descriptor fetched from `descriptor_url`)."""

    def follow(asked: str, target: str) -> bool:
        try:
            origin = origin_of_url(asked) if ctx.origin == LOCAL_ORIGIN else ctx.origin
            ctx.url_policy(origin).check(target, "redirection")
        except DescriptorError:
            return False
        return True

    return follow


DescriptorParams = TypeVar("DescriptorParams", DownloadParams, OpenParams)


def load_params(ctx: JobContext, params: DescriptorParams) -> tuple[DescriptorParams, str | None]:
    """The job's parameters, with a `descriptor_url` replaced by the descriptor it points to.

    The fetched descriptor is validated under the same rules as one sent inline: its URLs must be
    on the queuing page's origin (or, for the local user, on the descriptor URL's own origin).
    What the fetched descriptor leaves out is kept from the job's own parameters (the local
    user's destination, for instance). Returns the parameters and the bearer token to use for the files.
    """
    token = ctx.token
    url = params.descriptor_url
    if url is None:
        return params, token
    ctx.cancel.raise_if_cancelled()
    client = platform_client(ctx, token)
    try:
        raw = client.get_json(url, what=M_("descripteur"), cancel=ctx.cancel)
    finally:
        client.close()
    origin = origin_of_url(url) if ctx.origin == LOCAL_ORIGIN else ctx.origin
    nested = ctx.parse_nested(raw, origin)
    if not isinstance(nested.params, type(params)):  # parse_nested checks the type: cannot happen
        raise TypeError(f"{type(params).__name__} expected")
    kept = {f.name: getattr(params, f.name) for f in fields(params) if getattr(nested.params, f.name) is None}
    merged = replace(nested.params, **{**kept, "descriptor_url": None})
    return merged, nested.token or token


def batch_failed(
    summary: Message,
    first: AssistantError | None,
    code: str,
    result: JobResult,
) -> JobFailed:
    """A batch that ended with some items failed: how many, then the first item's reason, which is
    usually what the user has to fix (a wrong key, a locked card) for all of them.

    `summary` says it with the counts ("{failed} fichier(s) sur {total} n'ont pas été signés");
    `code` serves when no item error is known.
    """
    if first is None:
        message = M_("{summary}.", summary=summary)
    else:
        message = M_("{summary} : {reason}", summary=summary, reason=first.both())
    return JobFailed(AssistantError(message, code=first.code if first else code), result)


def downloads_root() -> Path:
    """The user's downloads folder (under ASSISTANT_HOME when set, so tests stay isolated)."""
    home = os.environ.get(paths.HOME_ENV)
    if home:
        return Path(home) / "downloads"
    import platformdirs

    return Path(platformdirs.user_downloads_dir())


def folder_name(text: str, fallback: str) -> str:
    cleaned = re.sub(r'[\x00-\x1f/\\:*?"<>|]+', "_", text).strip(" .")
    return cleaned[:120] or fallback
