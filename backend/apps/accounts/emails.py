"""The account emails: reset and activation links, invitations, and notices about the account.

Where an answer on the web would reveal whether an address has an account, the account flows
answer the same for everyone and say the rest here, to the address itself.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import PasswordResetTokenGenerator, default_token_generator
from django.core.mail import send_mail
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

logger = logging.getLogger(__name__)


class RegistrationTokenGenerator(PasswordResetTokenGenerator):
    """Activation links: bound to the pending state, so a link works once."""

    key_salt = "apps.accounts.emails.RegistrationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:  # type: ignore[override]
        pending = getattr(getattr(user, "profile", None), "registration_pending", False)
        return f"{user.pk}{user.password}{user.is_active}{pending}{timestamp}{user.email}"


registration_token_generator = RegistrationTokenGenerator()


def _uid(user: User) -> str:
    return urlsafe_base64_encode(force_bytes(user.pk))


def password_reset_link(*, user: User) -> str:
    """The frontend link that lets `user` choose a new password (valid PASSWORD_RESET_TIMEOUT)."""
    token = default_token_generator.make_token(user)
    return f"{settings.FRONTEND_URL}/reset-password?uid={_uid(user)}&token={token}"


def activation_link(*, user: User) -> str:
    token = registration_token_generator.make_token(user)
    return f"{settings.FRONTEND_URL}/activate?uid={_uid(user)}&token={token}"


def link_validity() -> str:
    hours = int(settings.PASSWORD_RESET_TIMEOUT // 3600)
    return f"{hours} hours"


def _send(to: str, subject: str, body: str, what: str, user_id: int | None = None) -> None:
    send_mail(subject, body, None, [to])
    logger.info("Sent the %s email (user %s).", what, user_id)


def password_reset_email_send(*, user: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        "Someone asked to reset the password of your SecuLite account. "
        "If it was you, choose a new password here:\n\n"
        f"{password_reset_link(user=user)}\n\n"
        f"The link works once and expires in {link_validity()}. "
        "If you did not ask for this, ignore this email; your password stays as it is.\n"
    )
    _send(user.email, "Reset your SecuLite password", body, "password reset", user.pk)


def invitation_email_send(*, user: User, invited_by: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        f"{invited_by.get_username()} invited you to SecuLite. "
        "Choose your password to activate your account:\n\n"
        f"{password_reset_link(user=user)}\n\n"
        f"Your username is {user.get_username()}. The link expires in {link_validity()}; "
        "ask an administrator for a new one if it has.\n"
    )
    _send(user.email, "You are invited to SecuLite", body, "invitation", user.pk)


def activation_email_send(*, user: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        "Someone registered a SecuLite account with this email address. If it was you, "
        "activate the account here:\n\n"
        f"{activation_link(user=user)}\n\n"
        f"The link works once and expires in {link_validity()}. "
        "If it was not you, ignore this email; without the link the account stays inactive.\n"
    )
    _send(user.email, "Activate your SecuLite account", body, "activation", user.pk)


def registration_with_taken_email_send(*, user: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        "Someone tried to register a new SecuLite account with this email address, which "
        "already has an account (yours). No new account was created.\n\n"
        "If it was you: sign in instead, or reset your password at "
        f"{settings.FRONTEND_URL}/forgot-password if you have forgotten it.\n"
        "If it was not you, you can ignore this email.\n"
    )
    _send(user.email, "Someone tried to register with your address", body, "taken email", user.pk)


def registration_with_taken_username_send(*, email: str, username: str) -> None:
    body = (
        "Hello,\n\n"
        f"Someone tried to register a SecuLite account for this address with the username "
        f"{username!r}, but that username is already in use, so no account was created.\n\n"
        f"If it was you, register again with another username: {settings.FRONTEND_URL}/register\n"
        "If it was not you, you can ignore this email.\n"
    )
    _send(email, "Your SecuLite registration needs another username", body, "taken username")


def email_change_confirm_send(*, user: User, new_email: str, token: str) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        "You asked to use this address for your SecuLite account. Confirm it here:\n\n"
        f"{settings.FRONTEND_URL}/confirm-email?token={token}\n\n"
        f"The link works once and expires in {link_validity()}. "
        "If you did not ask for this, ignore this email.\n"
    )
    _send(new_email, "Confirm your new SecuLite email address", body, "email confirm", user.pk)


def email_change_address_in_use_send(*, owner: User) -> None:
    body = (
        f"Hello {owner.get_username()},\n\n"
        "Someone asked to use this email address for another SecuLite account. It is already "
        "the address of your account, so nothing was changed.\n"
        "If you do not know why, you can ignore this email.\n"
    )
    _send(owner.email, "Someone tried to use your address", body, "address in use", owner.pk)


def email_change_requested_send(*, user: User, new_email: str) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        f"Someone signed in to your SecuLite account asked to change its email address to "
        f"{new_email}. It changes once the new address confirms.\n\n"
        "If it was not you, change your password now: that also signs out every other "
        "session and revokes every API key.\n"
    )
    _send(user.email, "Your SecuLite email address is about to change", body, "change", user.pk)


def email_changed_send(*, user: User, old_email: str) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        f"The email address of your SecuLite account was changed from this address to "
        f"{user.email}.\n\n"
        "If it was not you, reset your password and contact your administrator.\n"
    )
    _send(old_email, "Your SecuLite email address was changed", body, "changed", user.pk)
