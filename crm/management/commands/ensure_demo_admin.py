"""Create (or reset) the demo superuser for ``make run`` and print how to log in."""
from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Create the demo admin user. The password comes from DEMO_ADMIN_PASSWORD or is generated."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--password-file", help="Where to keep a generated password between runs.")

    def handle(self, *args, password_file: str | None = None, **options) -> None:  # type: ignore[no-untyped-def]
        if not (settings.DEV_MODE or settings.DEBUG):
            raise CommandError("ensure_demo_admin only runs in development mode (FTE_DEV_MODE=1).")
        username = settings.DEMO_ADMIN_USERNAME
        password = settings.DEMO_ADMIN_PASSWORD
        if not password and password_file:
            try:
                with open(password_file) as fh:
                    password = fh.read().strip()
            except FileNotFoundError:
                password = ""
        if not password:
            password = secrets.token_urlsafe(12)
            if password_file:
                with open(password_file, "w") as fh:
                    fh.write(password)
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"email": f"{username}@loomline.example"}
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save()
        self.stdout.write(self.style.SUCCESS(f"Admin login: {username} / {password}"))
