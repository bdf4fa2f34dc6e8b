"""The one error of the autostart package."""

from __future__ import annotations

from assistant.errors import AssistantError


class AutostartError(AssistantError):
    """The session's start entry could not be written or removed."""

    code = "autostart"
