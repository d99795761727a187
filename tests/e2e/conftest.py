"""Fixtures for the end-to-end tests: the channels' local fake providers, reused as they are.

These tests cross every app (webhook → agent → delivery), so they live above all of them.
"""
from channels_app.tests.conftest import (  # noqa: F401 - pytest fixtures
    _fresh_cache,
    api,
    fake_gmail,
    fake_twilio,
    gmail_push_synced,
    gmail_sync_queue,
    google_certs,
)
