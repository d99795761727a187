"""Fixtures for the desk's tests: the channels' local fake providers, reused as they are.

Staff replies go out through the channel senders, so the desk tests drive the same
fakes as the channel tests (the desk sits above channels_app and may use its fixtures).
"""
from channels_app.tests.conftest import _fresh_cache, fake_gmail, fake_twilio  # noqa: F401 - pytest fixtures
