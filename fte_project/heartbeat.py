"""Heartbeat files: how a container probe knows a long-running loop is still turning.

A probe cannot ask a Celery worker, beat or a Kafka consumer loop whether it is alive
without starting a second Django process on every probe (a ``celery inspect ping`` costs
about a second of CPU and 80 MB in the pod, each time, and broadcasts to every worker).
So the loop itself touches ``FTE_HEARTBEAT_FILE`` while it turns, at most once every
``FTE_HEARTBEAT_INTERVAL`` seconds (5), and the probe (``scripts/docker-entrypoint probe``)
only compares the file's age with a limit. Without ``FTE_HEARTBEAT_FILE`` nothing is written.

Where the beat comes from, per role (``scripts/docker-entrypoint`` wires each one):

- Celery worker: ``celery -A fte_project.heartbeat worker`` loads this module's ``app``
  (the project's Celery app) with :class:`WorkerHeartbeat` added: a timer in the worker's
  main event loop. A wedged loop, or a worker that lost its broker, stops beating.
- Celery beat: ``--scheduler fte_project.heartbeat:HeartbeatScheduler`` beats on every
  tick; ``--max-interval`` bounds the time between ticks.
- Management-command loops (``run_outbox_relay``, ``run_kafka_bridge``, and any consumer
  built the same way): they ask their :class:`~fte_project.stopping.StopFlag` whether to
  stop on every turn, at least once a second when idle. ``python -m fte_project.heartbeat
  COMMAND [ARGS]`` makes that question beat, then runs the command as ``manage.py`` would.
  A loop that blocks for longer than the probe's limit is restarted: that is the point.
"""
from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import bootsteps
from celery.beat import PersistentScheduler

from fte_project.celery import app

log = logging.getLogger(__name__)

__all__ = ["Heartbeat", "HeartbeatScheduler", "WorkerHeartbeat", "app", "install_loop_heartbeat", "main"]

DEFAULT_INTERVAL = 5.0


class Heartbeat:
    """Touches one file, at most once per ``interval`` seconds."""

    def __init__(self, *, path: Path, interval: float = DEFAULT_INTERVAL) -> None:
        self.path = path
        self.interval = interval
        self._last = float("-inf")
        self._warned = False

    @classmethod
    def from_env(cls) -> Heartbeat | None:
        """The heartbeat ``FTE_HEARTBEAT_FILE`` asks for, or None when it is unset."""
        path = os.environ.get("FTE_HEARTBEAT_FILE", "").strip()
        if not path:
            return None
        raw = os.environ.get("FTE_HEARTBEAT_INTERVAL", "").strip()
        try:
            interval = float(raw) if raw else DEFAULT_INTERVAL
        except ValueError:
            raise SystemExit(f"FTE_HEARTBEAT_INTERVAL={raw!r} is not a number") from None
        return cls(path=Path(path), interval=interval)

    def beat(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        try:
            self.path.touch()
        except OSError as exc:
            # Never break the loop over its heartbeat: the probe will notice the silence.
            if not self._warned:
                log.warning("cannot write the heartbeat file %s: %s", self.path, exc)
                self._warned = True


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A Celery worker bootstep: beat from a timer in the worker's main event loop."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref: Any = None

    def start(self, worker: Any) -> None:
        heartbeat = Heartbeat.from_env()
        if heartbeat is None:
            return
        heartbeat.beat(force=True)
        self.tref = worker.timer.call_repeatedly(heartbeat.interval, heartbeat.beat, priority=10)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["worker"].add(WorkerHeartbeat)


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's default scheduler that also beats on every tick."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._heartbeat = Heartbeat.from_env()
        super().__init__(*args, **kwargs)

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self._heartbeat is not None:
            self._heartbeat.beat()
        return super().tick(*args, **kwargs)


def install_loop_heartbeat(heartbeat: Heartbeat) -> None:
    """Make every ``StopFlag()`` check in this process beat ``heartbeat``.

    The long-running commands own their StopFlag and check it on every turn of their
    loop; wrapping the check keeps the liveness signal out of their code.
    """
    from fte_project.stopping import StopFlag

    original: Callable[[StopFlag], bool] = StopFlag.__call__
    if getattr(original, "_fte_heartbeat", False):
        return

    def __call__(self: StopFlag) -> bool:
        heartbeat.beat()
        return original(self)

    __call__._fte_heartbeat = True  # type: ignore[attr-defined]
    StopFlag.__call__ = __call__  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """``python -m fte_project.heartbeat COMMAND [ARGS…]``: a management command with a heartbeat."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] in {"-h", "--help"}:
        raise SystemExit("usage: python -m fte_project.heartbeat COMMAND [ARGS...]  (a manage.py command; "
                         "its StopFlag checks touch FTE_HEARTBEAT_FILE)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fte_project.settings")
    heartbeat = Heartbeat.from_env()
    if heartbeat is not None:
        install_loop_heartbeat(heartbeat)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["manage.py", *args])


if __name__ == "__main__":
    main()
