"""No secret and no customer phone number in the logs: the filter on our handlers and gunicorn's access log."""
from __future__ import annotations

import io
import logging
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fte_project.redaction import RedactingFilter, redact
from tests.support.processes import ROOT, wait_until


@pytest.mark.parametrize("text, expected", [
    ("POST /webhooks/gmail?token=s3cr3t-Value_1 HTTP/1.1", "POST /webhooks/gmail?token=[redacted] HTTP/1.1"),
    ("/webhooks/gmail?subscription=x&token=abc&other=1", "/webhooks/gmail?subscription=x&token=[redacted]&other=1"),
    ("token=abc", "token=[redacted]"),
    ("Authorization: Bearer eyJhbGciOi.JIUzI1.NiJ9", "Authorization: Bearer [redacted]"),
    ("to whatsapp:+14155550123 and +447700900123", "to whatsapp:+***0123 and +***0123"),
    # Nothing else is touched.
    ("monkey=1&keyword=2&history 123456789 +12 TKT-7KQ2M9XD", "monkey=1&keyword=2&history 123456789 +12 TKT-7KQ2M9XD"),
])
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_configured_log_handler_redacts_every_line() -> None:
    [handler] = [h for h in logging.getLogger().handlers if any(isinstance(f, RedactingFilter) for f in h.filters)]
    stream = io.StringIO()
    saved = handler.setStream(stream)  # type: ignore[attr-defined]
    try:
        log = logging.getLogger("channels_app.senders")
        log.warning("sending to %s failed: Twilio said The 'To' number %s is not valid", "whatsapp:+14155550123",
                    "+14155550123")
        logging.getLogger("django.server").info('"POST /webhooks/gmail?token=%s HTTP/1.1" 202 31', "s3cret")
        try:
            raise ValueError("GET /webhooks/gmail?token=in-a-traceback")
        except ValueError:
            log.exception("failed")
    finally:
        handler.setStream(saved)  # type: ignore[attr-defined]
    output = stream.getvalue()
    assert "5550123" not in output.replace("+***0123", "") and "s3cret" not in output
    assert "in-a-traceback" not in output
    assert output.count("+***0123") == 2 and "token=[redacted]" in output


def test_the_gunicorn_access_log_has_no_push_token(tmp_path: Path) -> None:
    # gunicorn reads gunicorn.conf.py from its working directory, as make run and the image start it.
    (tmp_path / "tiny_app.py").write_text(
        "def application(environ, start_response):\n"
        "    start_response('202 Accepted', [('Content-Type', 'text/plain')])\n"
        "    return [b'ok']\n")
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--pythonpath", str(tmp_path), "--bind", "127.0.0.1:0", "--workers", "1",
         "--access-logfile", str(access), "--error-logfile", str(errors), "tiny_app:application"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        line = wait_until(lambda: next((ln for ln in errors.read_text().splitlines() if "Listening at" in ln), None)
                          if errors.exists() else None, timeout=30, what="gunicorn listening")
        base = line.split("Listening at: ")[1].split()[0]
        with urllib.request.urlopen(urllib.request.Request(f"{base}/webhooks/gmail?token=s3cret-push-token",
                                                           method="POST", data=b"{}")) as response:
            assert response.status == 202
        wait_until(lambda: access.exists() and "/webhooks/gmail" in access.read_text(), timeout=10,
                   what="the access log line")
    finally:
        server.terminate()
        server.wait(timeout=30)
    logged = access.read_text()
    assert "s3cret-push-token" not in logged
    assert "/webhooks/gmail?token=[redacted]" in logged


def test_celery_workers_handlers_redact_too() -> None:
    from celery.signals import after_setup_logger

    logger = logging.getLogger("test.celery.worker")
    stream = io.StringIO()
    logger.addHandler(logging.StreamHandler(stream))
    logger.propagate = False
    after_setup_logger.send(sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False)

    logger.error("message 7: permanent twilio failure: The 'To' number whatsapp:+14155550123 is not valid")
    assert "whatsapp:+***0123" in stream.getvalue() and "14155550123" not in stream.getvalue()
