"""Serve the agent's six tools over MCP on stdio."""
from __future__ import annotations

import logging

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the MCP server (stdio) exposing search_knowledge_base, create_ticket, get_customer_history, " \
           "escalate_to_human and send_response."

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        # stdout carries the protocol: logs go to stderr only.
        logging.getLogger().handlers = [logging.StreamHandler()]
        from agent_app.mcp_server import server

        server.run("stdio")
