"""Check for updates at start, then every `interval_hours` (daily by default), in the background.

`assistant run` calls `on_started(settings)` once its bridge is up: it confirms a trial start
(assistant.update.apply) and starts the checking thread unless the settings or IT's policy say no.
A check never blocks the window or the bridge; what it found is in data_dir()/update/status.json
(`assistant update status`), and a staged release is installed at the next start.
"""

from __future__ import annotations

import logging
import threading

from assistant.settings import Settings
from assistant.update.apply import confirm_started

log = logging.getLogger(__name__)
#: Let the start finish (window, bridge, first page requests) before the first check.
FIRST_CHECK_DELAY_S = 20.0


class UpdateScheduler:
    def __init__(self, settings: Settings, first_delay: float = FIRST_CHECK_DELAY_S) -> None:
        self.settings = settings
        self.first_delay = first_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="update-checks", daemon=True)

    def start(self) -> UpdateScheduler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        from assistant.update.client import check_for_update
        from assistant.update.config import load_config
        from assistant.update.layout import running_layout

        delay = self.first_delay
        while not self._stop.wait(delay):
            config = load_config(self.settings)
            if config.disabled_reason:
                log.info("updates: %s", config.disabled_reason)
                return
            check = check_for_update(config, layout=running_layout())
            log.info("updates: %s (%s)", check.message, check.state)
            delay = config.interval_hours * 3600


def on_started(settings: Settings) -> UpdateScheduler | None:
    """The assistant is up: keep a just-installed update, and start the periodic checks."""
    confirm_started()
    from assistant.update.config import load_config

    if load_config(settings).disabled_reason:
        return None
    return UpdateScheduler(settings).start()
