"""Create the first platform admin if none exists.

Reads SECULITE_ADMIN_USERNAME / _EMAIL / _PASSWORD; without a password it generates one and
prints it once, so a fresh install never ships a known default credential.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import UserProfile
from seculite_api.env import env


class Command(BaseCommand):
    help = "Create the first admin account from the environment, or with a generated password."

    def handle(self, *args: Any, **options: Any) -> None:
        user_model = get_user_model()
        if user_model.objects.filter(is_superuser=True).exists():
            self.stdout.write("An admin account already exists; nothing to do.")
            return
        username = env.str("SECULITE_ADMIN_USERNAME", default="admin")
        email = env.str("SECULITE_ADMIN_EMAIL", default="admin@localhost")
        password = env.str("SECULITE_ADMIN_PASSWORD", default="")
        generated = not password
        if generated:
            password = secrets.token_urlsafe(18)
        else:
            try:
                validate_password(password)
            except Exception as exc:
                raise CommandError(f"SECULITE_ADMIN_PASSWORD is too weak: {exc}") from exc
        user = user_model.objects.create_superuser(
            username=username, email=email, password=password
        )
        UserProfile.objects.get_or_create(user=user)
        self.stdout.write(self.style.SUCCESS(f"Created admin account '{username}'."))
        if generated:
            # Printed once on the terminal that ran the install; never written to a log file.
            self.stdout.write(self.style.WARNING(f"Generated password (shown once): {password}"))
