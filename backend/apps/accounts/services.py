"""Writes for accounts: registration, sign-in, passwords, profiles, API keys and user admin.

Field-level rule violations (a taken email, a weak password) raise Django's ValidationError
keyed by the input field, so forms can show them next to the field; other rule violations
raise `ServiceError` with a stable code. Nothing here logs a password, token or key.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, login, logout, password_validation
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone as django_timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from apps.accounts.keys import key_generate
from apps.accounts.lockout import lockout_message
from apps.accounts.models import ApiKey, UserProfile, default_notification_preferences
from apps.accounts.selectors import profile_get_for_user
from apps.common.errors import ServiceError

logger = logging.getLogger(__name__)

LOGIN_TOKEN_LIFETIME = timedelta(days=30)
# How long an expired or revoked key stays listed (for the owner's audit) before it is purged.
DEAD_KEY_RETENTION = timedelta(days=30)
INVALID_CREDENTIALS_MESSAGE = "Unable to sign in with the given username or email and password."
USERNAME_MAX_LENGTH = 150


@dataclass(frozen=True)
class LoginResult:
    """A signed-in user and the API key issued for this sign-in (`key` is shown once)."""

    user: User
    api_key: ApiKey
    key: str


# --- helpers -------------------------------------------------------------------------------


def _password_check(*, password: str, user: User, field: str) -> None:
    """Run the configured password validators, reporting failures under `field`."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _email_taken(*, email: str, exclude_user_id: int | None = None) -> bool:
    users = User.objects.filter(email__iexact=email)
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return users.exists()


def _username_errors(username: str) -> list[str]:
    if "@" in username:
        # Sign-in treats anything with "@" as an email address.
        return ["Usernames cannot contain '@'."]
    if User.objects.filter(username__iexact=username).exists():
        return ["A user with this username already exists."]
    return []


def _username_from_email(email: str) -> str:
    """A free username derived from the local part of `email` (user, user2, user3, ...)."""
    base = re.sub(r"[^\w.+-]", "", email.split("@", 1)[0])[: USERNAME_MAX_LENGTH - 6] or "user"
    candidate, suffix = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        suffix += 1
        candidate = f"{base}{suffix}"
    return candidate


def _login_username(identifier: str) -> str:
    """The username that sign-in attempts with `identifier` are counted against.

    Without this, every spelling of an email address (case, or email vs. username) would get
    its own lockout counter, multiplying the guesses allowed before a lockout.
    """
    identifier = identifier.strip()
    if "@" not in identifier:
        return identifier
    username = (
        User.objects.filter(email__iexact=identifier)
        .order_by("id")
        .values_list("username", flat=True)
        .first()
    )
    return username if username is not None else identifier.lower()


def password_reset_link(*, user: User) -> str:
    """The frontend link that lets `user` choose a new password (valid PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.FRONTEND_URL}/reset-password?uid={uid}&token={token}"


def _link_validity() -> str:
    hours = int(settings.PASSWORD_RESET_TIMEOUT // 3600)
    return f"{hours} hours"


def _password_reset_email_send(*, user: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        "Someone asked to reset the password of your SecuLite account. "
        "If it was you, choose a new password here:\n\n"
        f"{password_reset_link(user=user)}\n\n"
        f"The link works once and expires in {_link_validity()}. "
        "If you did not ask for this, ignore this email; your password stays as it is.\n"
    )
    send_mail("Reset your SecuLite password", body, None, [user.email])
    logger.info("Password reset email sent to user %s.", user.pk)


def _invitation_email_send(*, user: User, invited_by: User) -> None:
    body = (
        f"Hello {user.get_username()},\n\n"
        f"{invited_by.get_username()} invited you to SecuLite. "
        "Choose your password to activate your account:\n\n"
        f"{password_reset_link(user=user)}\n\n"
        f"Your username is {user.get_username()}. The link expires in {_link_validity()}; "
        "ask an administrator for a new one if it has.\n"
    )
    send_mail("You are invited to SecuLite", body, None, [user.email])
    logger.info("Invitation email sent to user %s by user %s.", user.pk, invited_by.pk)


# --- registration and sign-in --------------------------------------------------------------


@transaction.atomic
def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> User:
    """Create an active user with a profile. Every invalid field is reported at once."""
    email = User.objects.normalize_email(email)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    errors: dict[str, list[str]] = {}
    if username_errors := _username_errors(username):
        errors["username"] = username_errors
    if _email_taken(email=email):
        errors["email"] = ["A user with this email already exists."]
    try:
        _password_check(password=password, user=user, field="password")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # a concurrent registration of the same username
        raise ValidationError({"username": ["A user with this username already exists."]}) from exc
    UserProfile.objects.create(user=user)
    logger.info("User %s registered.", user.pk)
    return user


# Not atomic on purpose: django-axes records failed attempts in the database during
# `authenticate`, and those rows must survive the error this function raises.
def user_login(*, request: HttpRequest, username: str, password: str) -> LoginResult:
    """Check the credentials through django-axes, start a session and issue an API key.

    `username` may also be an email address. Locked-out username + IP pairs are refused
    even with the right password.
    """
    user = authenticate(request=request, username=_login_username(username), password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            raise ServiceError(lockout_message(), code="account_locked", status_code=429)
        raise ServiceError(INVALID_CREDENTIALS_MESSAGE, code="invalid_credentials")
    assert isinstance(user, User)
    login(request, user)
    now = django_timezone.now()
    api_key, key = api_key_create(
        user=user,
        name=f"login {now:%Y-%m-%d %H:%M:%S} UTC",
        expires_at=now + LOGIN_TOKEN_LIFETIME,
    )
    logger.info("User %s signed in; API key %s issued.", user.pk, api_key.pk)
    return LoginResult(user=user, api_key=api_key, key=key)


def user_logout(*, request: HttpRequest, api_key: ApiKey | None = None) -> None:
    """End the session and, when the caller used an API key, revoke that key."""
    if api_key is not None:
        api_key_revoke(api_key=api_key)
    logout(request)


# --- profile and passwords -----------------------------------------------------------------


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    timezone: str | None = None,
    notification_preferences: dict[str, Any] | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
) -> UserProfile:
    """Change the user's names, email and profile settings.

    `notification_preferences` is merged into the stored preferences, so a client can change
    one switch without sending the others.
    """
    if email is not None:
        email = User.objects.normalize_email(email)
        if _email_taken(email=email, exclude_user_id=user.pk):
            raise ValidationError({"email": ["A user with this email already exists."]})
        user.email = email
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    user.save(update_fields=["email", "first_name", "last_name"])
    profile = profile_get_for_user(user=user)
    if timezone is not None:
        profile.timezone = timezone
    if notification_preferences is not None:
        profile.notification_preferences = {
            **default_notification_preferences(),
            **profile.notification_preferences,
            **notification_preferences,
        }
    profile.save()
    return profile


def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Set a new password after checking the current one.

    Other sessions of the user end (their auth hash no longer matches); the caller keeps its
    own session with `update_session_auth_hash`.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is incorrect."]})
    _password_check(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    logger.info("User %s changed their password.", user.pk)
    return user


def user_password_reset_request(*, email: str) -> None:
    """Email a reset link to each active user with this email; silently nothing otherwise.

    Callers answer the same whatever happens here, so the endpoint reveals no accounts.
    """
    for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
        _password_reset_email_send(user=user)


def user_password_reset_send(*, user: User) -> None:
    """Email `user` a password reset link on an administrator's request."""
    if not user.is_active:
        raise ServiceError("This user is deactivated.", code="user_inactive")
    if not user.email:
        raise ServiceError("This user has no email address.", code="no_email")
    _password_reset_email_send(user=user)


def _user_from_uid(uid: str) -> User | None:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset (or invitation) link, and lift any sign-in lockout.

    The token is bound to the current password hash and last login, so it works once.
    """
    user = _user_from_uid(uid)
    if user is None or not default_token_generator.check_token(user, token):
        raise ServiceError(
            "This password reset link is invalid or has expired.", code="invalid_token"
        )
    _password_check(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    axes_reset(username=user.get_username())
    logger.info("User %s reset their password.", user.pk)
    return user


# --- API keys ------------------------------------------------------------------------------


def api_key_create(
    *, user: User, name: str, expires_at: datetime | None = None
) -> tuple[ApiKey, str]:
    """Create an API key for `user`; return it with the full key, which is never stored."""
    if expires_at is not None and expires_at <= django_timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    full_key, prefix, key_hash = key_generate()
    api_key = ApiKey.objects.create(
        user=user, name=name, prefix=prefix, key_hash=key_hash, expires_at=expires_at
    )
    return api_key, full_key


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Mark the key revoked; revoking twice keeps the first revocation time."""
    if api_key.revoked_at is None:
        api_key.revoked_at = django_timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        logger.info("API key %s of user %s revoked.", api_key.pk, api_key.user_id)
    return api_key


def api_keys_purge(*, retention: timedelta = DEAD_KEY_RETENTION) -> int:
    """Delete keys that expired or were revoked more than `retention` ago.

    Every sign-in issues a key, so without this the table only grows. Returns how many went.
    """
    cutoff = django_timezone.now() - retention
    deleted, _ = ApiKey.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)).delete()
    if deleted:
        logger.info("Purged %s API keys expired or revoked before %s.", deleted, cutoff)
    return deleted


# --- user administration (staff) -----------------------------------------------------------


def user_invite(
    *,
    invited_by: User,
    email: str,
    username: str | None = None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
) -> User:
    """Create an active user without a usable password and email them a set-password link."""
    email = User.objects.normalize_email(email)
    errors: dict[str, list[str]] = {}
    if _email_taken(email=email):
        errors["email"] = ["A user with this email already exists."]
    if username and (username_errors := _username_errors(username)):
        errors["username"] = username_errors
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        user = User(
            username=username or _username_from_email(email),
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=is_staff,
            is_active=True,
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ValidationError(
                {"username": ["A user with this username already exists."]}
            ) from exc
        UserProfile.objects.create(user=user)
    logger.info("User %s invited by user %s.", user.pk, invited_by.pk)
    # Sent after the commit: if mail fails, the user exists and the link can be re-sent.
    _invitation_email_send(user=user, invited_by=invited_by)
    return user


def user_admin_update(
    *, actor: User, user: User, is_active: bool | None = None, is_staff: bool | None = None
) -> User:
    """Activate/deactivate a user or grant/remove staff status.

    Staff cannot lock themselves out, and only superusers may change a superuser.
    """
    if user.pk == actor.pk and (is_active is False or is_staff is False):
        raise ServiceError(
            "You cannot deactivate your own account or remove your own staff status.",
            code="cannot_change_self",
        )
    if user.is_superuser and not actor.is_superuser:
        raise ServiceError(
            "Only superusers can change a superuser.", code="permission_denied", status_code=403
        )
    if is_active is not None:
        user.is_active = is_active
    if is_staff is not None:
        user.is_staff = is_staff
    user.save(update_fields=["is_active", "is_staff"])
    logger.info(
        "User %s set is_active=%s is_staff=%s on user %s.",
        actor.pk,
        user.is_active,
        user.is_staff,
        user.pk,
    )
    return user
