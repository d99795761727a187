"""The WSGI application under cProfile, for ``bench/bench_webhooks.py --profile`` only.

Each gunicorn worker process accumulates one profile over every request it serves (run
it with ``--threads 1``: cProfile sees only the thread it is enabled in) and writes it to
``var/bench/webhooks-<pid>.prof`` when the worker exits.
"""
from __future__ import annotations

import atexit
import cProfile
import os
import signal
import sys
from pathlib import Path
from typing import Any

from fte_project.wsgi import application as _application

_profile = cProfile.Profile()
_out = Path(__file__).resolve().parents[1] / "var" / "bench" / f"webhooks-{os.getpid()}.prof"


def _dump(*_: Any) -> None:
    _profile.dump_stats(str(_out))


def application(environ: dict[str, Any], start_response: Any) -> Any:
    global _out
    _out = _out.with_name(f"webhooks-{os.getpid()}.prof")  # the module is imported before the fork
    _profile.enable()
    try:
        return list(_application(environ, start_response))
    finally:
        _profile.disable()


atexit.register(_dump)
_previous = signal.getsignal(signal.SIGTERM)


def _on_term(signum: int, frame: Any) -> None:
    _dump()
    if callable(_previous):
        _previous(signum, frame)
    else:
        sys.exit(0)


signal.signal(signal.SIGTERM, _on_term)
