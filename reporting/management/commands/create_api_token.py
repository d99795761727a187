"""Create (or show, or replace) a user's token for the management API."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from reporting.access import MANAGERS_GROUP, is_manager


class Command(BaseCommand):
    help = "Print USERNAME's management API token, creating it if needed (--reset replaces it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--reset", action="store_true", help="Replace an existing token (the old one stops working)")

    def handle(self, *args: Any, username: str, reset: bool = False, **options: Any) -> None:
        """The token is printed alone on stdout, so scripts can capture it."""
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not is_manager(user):
            self.stderr.write(self.style.WARNING(
                f"{username} is not in {MANAGERS_GROUP!r} (nor a superuser): the API will answer 403 until they are."))
        if reset:
            Token.objects.filter(user=user).delete()
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
