"""Checks on values every service takes, so each refuses them with the same readable error."""
from __future__ import annotations

from crm.errors import InvalidInput
from crm.models import Channel


def check_channel(channel: str) -> str:
    if channel not in Channel.values:
        raise InvalidInput(
            f"Unknown channel {channel!r}; expected one of {', '.join(Channel.values)}.", field="channel"
        )
    return channel
