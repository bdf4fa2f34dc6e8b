"""Logging to a rotating file in the logs folder, with a filter that redacts secrets.

The filter is a second line of defence: code must never pass a PIN, password or token to a logger
in the first place. It masks values of known secret-bearing keys and bearer tokens.
"""

from __future__ import annotations

import logging
import logging.handlers
import re

from assistant import paths

_SECRET_PATTERNS = [
    re.compile(r"(?i)(authorization\s*[:=]\s*bearer\s+)[^\s,'\"]+"),
    re.compile(r"(?i)((?:pin|password|passwd|token|secret|mot_de_passe)\s*[:=]\s*['\"]?)[^\s,'\"&]+"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1***", text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


def setup_logging(verbose: bool = False) -> None:
    root = logging.getLogger("assistant")
    if root.handlers:
        return
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    handler = logging.handlers.RotatingFileHandler(
        paths.logs_dir() / "assistant.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
