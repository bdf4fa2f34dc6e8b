"""Helpers shared by runners: loading a descriptor from its URL, the platform client, folders."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from assistant import paths
from assistant.jobs.descriptor import origin_of_url
from assistant.jobs.engine import JobContext
from assistant.jobs.model import LOCAL_ORIGIN
from assistant.platform.client import PlatformClient


def load_params(ctx: JobContext) -> tuple[dict[str, Any], str | None]:
    """The job's parameters, with a `descriptor_url` replaced by the descriptor it points to.

    The fetched descriptor is validated under the same rules as one sent inline: its URLs must be
    on the queuing page's origin (or, for the local user, on the descriptor URL's own origin).
    Returns the parameters and the bearer token to use for the files.
    """
    params = dict(ctx.params)
    token = ctx.token
    url = params.pop("descriptor_url", None)
    if url is None:
        return params, token
    ctx.cancel.raise_if_cancelled()
    client = PlatformClient(token)
    try:
        raw = client.get_json(url, what="descripteur", cancel=ctx.cancel)
    finally:
        client.close()
    origin = origin_of_url(url) if ctx.origin == LOCAL_ORIGIN else ctx.origin
    nested = ctx.parse_nested(raw, origin)
    nested.params.pop("descriptor_url", None)
    local_keys = {k: v for k, v in params.items() if k not in nested.params}
    merged = {**nested.params, **local_keys}
    return merged, nested.token or token


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
