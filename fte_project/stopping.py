"""Graceful stop for long-running commands: SIGTERM/SIGINT set a flag the loop checks."""
from __future__ import annotations

import logging
import signal
import threading

log = logging.getLogger(__name__)


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()

    def install(self) -> "StopFlag":
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: object) -> None:
        log.info("received %s; stopping after the current batch", signal.Signals(signum).name)
        self._event.set()

    def set(self) -> None:
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()
