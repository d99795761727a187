"""gunicorn's logger, with the request line, query string and referrer of the access log redacted.

gunicorn logs ``"%(r)s"`` (method, the raw URI with its query string, protocol) for every
request; the Gmail push may carry its shared secret there (``?token=…``). Installed by
``gunicorn.conf.py`` at the project root, which gunicorn reads from its working directory.
"""
from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from fte_project.redaction import redact

_URL_ATOMS = ("r", "q", "f", "U")


class RedactingLogger(Logger):
    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in _URL_ATOMS:
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        for name, value in list(atoms.items()):
            # Request headers ({authorization}i, {referer}i …), should a format ever log them.
            if name.startswith("{") and isinstance(value, str):
                atoms[name] = redact(value)
        return atoms
