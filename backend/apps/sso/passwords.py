"""Whether a local password may sign in: SECULITE_LOCAL_PASSWORDS=false turns password sign-in
off for everyone but the break-glass usernames (SECULITE_BREAK_GLASS_USERNAMES), so an
organization on SSO keeps one way in when its identity provider is down."""

from __future__ import annotations

from django.conf import settings


def local_password_allowed(username: str) -> bool:
    if settings.SECULITE_LOCAL_PASSWORDS:
        return True
    return username.lower() in {name.lower() for name in settings.SECULITE_BREAK_GLASS_USERNAMES}
