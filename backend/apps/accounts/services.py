"""Writes for accounts: registration, sign-in, passwords, email, profiles, API keys, user admin.

Field-level rule violations (a weak password) raise Django's ValidationError keyed by the input
field, so forms can show them next to the field; other rule violations raise `ServiceError`
with a stable code. Whether an email address has an account is never part of an answer:
registration and email changes answer the same and tell the address itself by email.
Nothing here logs a password, token or key.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate, logout, password_validation
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone as django_timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from apps.accounts import emails
from apps.accounts.audit import AuditAction, audit_record
from apps.accounts.keys import key_generate
from apps.accounts.lockout import lockout_message
from apps.accounts.models import ApiKey, UserProfile, default_notification_preferences
from apps.accounts.scopes import scopes_expand, scopes_role
from apps.accounts.selectors import profile_get_for_user
from apps.accounts.signin import SignInOutcome, session_begin
from apps.common.errors import ServiceError
from apps.common.roles import role_at_least
from apps.projects.models import Project
from apps.projects.selectors import project_role_for_user
from apps.sso.passwords import local_password_allowed

logger = logging.getLogger(__name__)

# How long an expired or revoked key stays listed (for the owner's audit) before it is purged.
DEAD_KEY_RETENTION = timedelta(days=30)
LOCAL_PASSWORDS_OFF_MESSAGE = "Password sign-in is turned off here: use single sign-on."
INVALID_CREDENTIALS_MESSAGE = "Unable to sign in with the given username or email and password."
USERNAME_MAX_LENGTH = 150
INVALID_LINK_MESSAGE = "This link is invalid or has expired."
EMAIL_CHANGE_SALT = "apps.accounts.email-change"


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


# --- registration and sign-in --------------------------------------------------------------


def _pending_registrations() -> Any:
    return User.objects.filter(is_active=False, profile__registration_pending=True)


def _registration_errors(*, user: User, password: str) -> None:
    """Errors that depend only on the input, never on which accounts exist."""
    errors: dict[str, list[str]] = {}
    if "@" in user.username:
        errors["username"] = ["Usernames cannot contain '@'."]
    try:
        _password_check(password=password, user=user, field="password")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)


def user_register(
    *, username: str, email: str, password: str, first_name: str = "", last_name: str = ""
) -> None:
    """Register an inactive account and email its activation link; answer nothing else.

    The caller answers the same whether or not the address or the username is taken: an
    address that has an account is told so by email, an address asking for a taken username
    is told to pick another. A pending registration of the same address (someone else's
    attempt, or an earlier one) is replaced, so nobody can hold an address they do not own.
    """
    email = User.objects.normalize_email(email)
    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    _registration_errors(user=user, password=password)
    # Hash in every case, so the time taken does not tell a taken address from a free one.
    user.set_password(password)
    expired = django_timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with transaction.atomic():
        _pending_registrations().filter(
            Q(email__iexact=email) | Q(username__iexact=username, date_joined__lt=expired)
        ).delete()
        owner = User.objects.filter(email__iexact=email).order_by("id").first()
        if owner is None and not User.objects.filter(username__iexact=username).exists():
            user.is_active = False
            try:
                with transaction.atomic():
                    user.save()
            except IntegrityError:  # a concurrent registration of the same username
                pass
            else:
                UserProfile.objects.create(user=user, registration_pending=True)
    if owner is not None:
        emails.registration_with_taken_email_send(user=owner)
    elif user.pk is None:
        emails.registration_with_taken_username_send(email=email, username=username)
    else:
        logger.info("User %s registered; activation pending.", user.pk)
        emails.activation_email_send(user=user)


def user_register_confirm(*, uid: str, token: str) -> User:
    """Activate a pending registration from its emailed link (works once)."""
    user = _user_from_uid(uid, active=False)
    profile = getattr(user, "profile", None) if user is not None else None
    if (
        user is None
        or profile is None
        or not profile.registration_pending
        or not emails.registration_token_generator.check_token(user, token)
    ):
        raise ServiceError(INVALID_LINK_MESSAGE, code="invalid_token")
    user.is_active = True
    user.save(update_fields=["is_active"])
    profile.registration_pending = False
    profile.save(update_fields=["registration_pending", "updated_at"])
    logger.info("User %s activated their account.", user.pk)
    return user


# Not atomic on purpose: django-axes records failed attempts in the database during
# `authenticate`, and those rows must survive the error this function raises.
def user_login(*, request: HttpRequest, username: str, password: str) -> SignInOutcome:
    """Check the credentials through django-axes and begin a sign-in; issue no API key.

    `username` may also be an email address. Locked-out username + IP pairs are refused
    even with the right password. Scripts use API keys a person creates on purpose. The
    session is signed in at once, or waits for a second factor (apps.accounts.signin).
    """
    if not local_password_allowed(_login_username(username)):
        audit_record(
            AuditAction.SIGN_IN_FAILED,
            request=request,
            username=username.strip()[:150],
            method="password",
            reason="local_passwords_disabled",
        )
        raise ServiceError(
            LOCAL_PASSWORDS_OFF_MESSAGE, code="local_passwords_disabled", status_code=403
        )
    user = authenticate(request=request, username=_login_username(username), password=password)
    if user is None:
        locked = getattr(request, "axes_locked_out", False)
        audit_record(
            AuditAction.SIGN_IN_FAILED,
            request=request,
            username=username.strip()[:150],
            method="password",
            reason="account_locked" if locked else "invalid_credentials",
        )
        if locked:
            raise ServiceError(lockout_message(), code="account_locked", status_code=429)
        raise ServiceError(INVALID_CREDENTIALS_MESSAGE, code="invalid_credentials")
    assert isinstance(user, User)
    outcome = session_begin(request, user, method="password")
    logger.info("User %s passed the password check: %s.", user.pk, outcome.status)
    return outcome


def user_logout(*, request: HttpRequest, api_key: ApiKey | None = None) -> None:
    """End the session (or a pending sign-in) and, when the caller used an API key, revoke
    that key."""
    if api_key is not None:
        api_key_revoke(api_key=api_key, actor=api_key.user, request=request)
    elif request.user.is_authenticated:
        audit_record(AuditAction.SIGN_OUT, request=request)
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
) -> UserProfile:
    """Change the user's names and profile settings (the email has its own, checked flow).

    `notification_preferences` is merged into the stored preferences, so a client can change
    one switch without sending the others.
    """
    if first_name is not None:
        user.first_name = first_name
    if last_name is not None:
        user.last_name = last_name
    user.save(update_fields=["first_name", "last_name"])
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


def _credentials_revoke(*, user: User) -> int:
    """Revoke every API key of `user`; sessions end by themselves once the password changed
    (Django checks each session's password hash on every request)."""
    revoked = ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=django_timezone.now(), updated_at=django_timezone.now()
    )
    if revoked:
        logger.info("Revoked %s API keys of user %s after a password change.", revoked, user.pk)
    return revoked


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> User:
    """Set a new password after checking the current one, and revoke every API key.

    Every other session ends (its auth hash no longer matches); the caller keeps its own
    session with `update_session_auth_hash`. A key used for this call is revoked too.
    """
    if not user.check_password(old_password):
        raise ValidationError({"old_password": ["The current password is incorrect."]})
    _password_check(password=new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _credentials_revoke(user=user)
    logger.info("User %s changed their password.", user.pk)
    return user


def _email_change_token(*, user: User, new_email: str) -> str:
    return signing.dumps(
        {"u": user.pk, "old": user.email, "new": new_email}, salt=EMAIL_CHANGE_SALT
    )


def user_email_change_request(*, user: User, email: str, current_password: str) -> None:
    """Start an email change: the new address gets a confirmation link, the old one a notice.

    Answers the same when the new address belongs to another account; that account's owner
    is told instead, and no link is sent.
    """
    if not user.check_password(current_password):
        raise ValidationError({"current_password": ["The current password is incorrect."]})
    email = User.objects.normalize_email(email)
    if email.lower() == (user.email or "").lower():
        raise ValidationError({"email": ["This is already your email address."]})
    owner = User.objects.filter(email__iexact=email).exclude(pk=user.pk).order_by("id").first()
    if owner is not None:
        emails.email_change_address_in_use_send(owner=owner)
    else:
        token = _email_change_token(user=user, new_email=email)
        emails.email_change_confirm_send(user=user, new_email=email, token=token)
    if user.email:
        emails.email_change_requested_send(user=user, new_email=email)


@transaction.atomic
def user_email_change_confirm(*, token: str) -> User:
    """Apply an email change from its link (works once) and tell the old address."""
    try:
        payload = signing.loads(
            token, salt=EMAIL_CHANGE_SALT, max_age=settings.PASSWORD_RESET_TIMEOUT
        )
        user = User.objects.select_for_update().get(pk=int(payload["u"]), is_active=True)
        old_email, new_email = str(payload["old"]), str(payload["new"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError, ValueError) as exc:
        raise ServiceError(INVALID_LINK_MESSAGE, code="invalid_token") from exc
    if user.email != old_email:  # used already, or superseded by another change
        raise ServiceError(INVALID_LINK_MESSAGE, code="invalid_token")
    if _email_taken(email=new_email, exclude_user_id=user.pk):
        # Only the owner of the new address gets here, so this tells nobody anything new.
        raise ServiceError("This address is now used by another account.", code="email_in_use")
    user.email = new_email
    user.save(update_fields=["email"])
    logger.info("User %s changed their email address.", user.pk)
    if old_email:
        emails.email_changed_send(user=user, old_email=old_email)
    return user


def user_password_reset_request(*, email: str) -> None:
    """Email a reset link to each active user with this email; silently nothing otherwise.

    Callers answer the same whatever happens here, so the endpoint reveals no accounts.
    """
    for user in User.objects.filter(email__iexact=email.strip(), is_active=True):
        emails.password_reset_email_send(user=user)


def user_password_reset_send(*, user: User) -> None:
    """Email `user` a password reset link on an administrator's request."""
    if not user.is_active:
        raise ServiceError("This user is deactivated.", code="user_inactive")
    if not user.email:
        raise ServiceError("This user has no email address.", code="no_email")
    emails.password_reset_email_send(user=user)


def _user_from_uid(uid: str, *, active: bool = True) -> User | None:
    try:
        user_id = int(force_str(urlsafe_base64_decode(uid)))
    except (TypeError, ValueError, OverflowError, UnicodeDecodeError):
        return None
    if not -(2**63) <= user_id < 2**63:
        return None
    return User.objects.filter(pk=user_id, is_active=active).first()


@transaction.atomic
def user_password_reset_confirm(*, uid: str, token: str, new_password: str) -> User:
    """Set a new password from a reset (or invitation) link, lift any sign-in lockout, and
    revoke every API key; every session ends as its password hash no longer matches.

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
    _credentials_revoke(user=user)
    axes_reset(username=user.get_username())
    logger.info("User %s reset their password.", user.pk)
    return user


# --- API keys ------------------------------------------------------------------------------


def api_key_create(
    *,
    user: User,
    name: str,
    expires_at: datetime | None = None,
    project_id: int | None = None,
    scopes: list[str] | None = None,
    request: Any | None = None,
) -> tuple[ApiKey, str]:
    """Create an API key for `user`; return it with the full key, which is never stored.

    With `project_id` the key is limited to that project and `scopes` (stored with the scopes
    they imply); `user` needs a role there that covers them (apps.accounts.scopes).
    """
    if expires_at is not None and expires_at <= django_timezone.now():
        raise ValidationError({"expires_at": ["The expiry must be in the future."]})
    project, scopes = _api_key_reach(user=user, project_id=project_id, scopes=scopes or [])
    full_key, prefix, key_hash = key_generate()
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        key_hash=key_hash,
        expires_at=expires_at,
        project=project,
        scopes=scopes,
    )
    audit_record(
        AuditAction.API_KEY_CREATED,
        request=request,
        actor=user,
        organization=project.organization if project is not None else None,
        api_key_id=api_key.pk,
        prefix=prefix,
        name=name,
        project_id=project.pk if project is not None else None,
        scopes=scopes,
    )
    return api_key, full_key


def _api_key_reach(
    *, user: User, project_id: int | None, scopes: list[str]
) -> tuple[Project | None, list[str]]:
    """The project and expanded scopes of a new key, checked against the user's role.

    A project the user cannot see gets the same answer as one that does not exist.
    """
    if project_id is None:
        if scopes:
            raise ValidationError(
                {"scopes": ["Scopes limit a key to one project: pick the project as well."]}
            )
        return None, []
    if not scopes:
        raise ValidationError({"scopes": ["Pick at least one scope for a project key."]})
    scopes = scopes_expand(scopes)
    project = Project.objects.filter(pk=project_id).first()
    role = project_role_for_user(project=project, user=user) if project is not None else None
    if project is None or role is None:
        raise ValidationError({"project": ["You have no project with this id."]})
    needed = scopes_role(scopes)
    if not role_at_least(role, needed):
        raise ValidationError(
            {
                "scopes": [
                    f"Your role in this project ({role}) allows read keys only; importing "
                    "reports and starting scans take a member or owner."
                ]
            }
        )
    return project, scopes


def api_key_revoke(
    *, api_key: ApiKey, actor: Any | None = None, request: Any | None = None
) -> ApiKey:
    """Mark the key revoked; revoking twice keeps the first revocation time."""
    if api_key.revoked_at is None:
        api_key.revoked_at = django_timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
        logger.info("API key %s of user %s revoked.", api_key.pk, api_key.user_id)
        audit_record(
            AuditAction.API_KEY_REVOKED,
            request=request,
            actor=actor,
            api_key_id=api_key.pk,
            prefix=api_key.prefix,
            name=api_key.name,
            owner_id=api_key.user_id,
        )
    return api_key


def api_keys_purge(*, retention: timedelta = DEAD_KEY_RETENTION) -> int:
    """Delete keys that expired or were revoked more than `retention` ago.

    Revoked keys stay listed for a while for the owner's audit. Returns how many went.
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
    emails.invitation_email_send(user=user, invited_by=invited_by)
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
    was_staff, was_active = user.is_staff, user.is_active
    if is_active is not None:
        user.is_active = is_active
    if is_staff is not None:
        user.is_staff = is_staff
    user.save(update_fields=["is_active", "is_staff"])
    if (was_staff, was_active) != (user.is_staff, user.is_active):
        audit_record(
            AuditAction.ROLE_CHANGED,
            actor=actor,
            scope="platform",
            member_id=user.pk,
            member=user.get_username(),
            old_role=("staff" if was_staff else "user") + ("" if was_active else " (inactive)"),
            new_role=("staff" if user.is_staff else "user")
            + ("" if user.is_active else " (inactive)"),
        )
    logger.info(
        "User %s set is_active=%s is_staff=%s on user %s.",
        actor.pk,
        user.is_active,
        user.is_staff,
        user.pk,
    )
    return user
