"""Which local account a single sign-on belongs to: the linked one, an existing account the
provider vouches for, or a new one (just-in-time, or only for invited addresses).

Rules (issue 16): a deactivated account never comes back through SSO; an e-mail outside
SECULITE_SSO_ALLOWED_DOMAINS is refused; an existing account is linked by e-mail only when
the provider asserts the address verified (OIDC `email_verified`; SAML when the operator
trusts the IdP's addresses) — otherwise the person signs in with the password and connects
the provider from the profile page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.models import SocialLogin
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone

from apps.accounts.services import _username_from_email
from apps.common.invitations import INVITATION_LIFETIME
from apps.organizations.models import OrganizationInvitation
from apps.projects.models import ProjectInvitation
from apps.sso.config import SsoOptions
from apps.sso.errors import SsoError, SsoRefused


@dataclass(frozen=True)
class SsoIdentity:
    """What the provider told us about the person, reduced to what our rules need."""

    email: str
    email_verified: bool
    username_hint: str
    first_name: str
    last_name: str


def identity_from_sociallogin(sociallogin: SocialLogin, options: SsoOptions) -> SsoIdentity:
    user = sociallogin.user
    email = (getattr(user, "email", "") or "").strip().lower()
    verified = False
    for address in sociallogin.email_addresses:
        if address.email.lower() == email and address.verified:
            verified = True
    if sociallogin.account.get_provider().id == "saml":
        verified = saml_email_verified(options, sociallogin.account.extra_data or {})
    return SsoIdentity(
        email=email,
        email_verified=verified,
        username_hint=(getattr(user, "username", "") or "").strip(),
        first_name=(getattr(user, "first_name", "") or "")[:150],
        last_name=(getattr(user, "last_name", "") or "")[:150],
    )


def saml_email_verified(options: SsoOptions, attributes: dict[str, Any]) -> bool:
    """SAML carries no standard flag: trust the operator's setting, or an explicit attribute."""
    if options.email_verified_trusted:
        return True
    values = attributes.get("email_verified") or []
    return bool(values) and bool(parse_bool_safely(values[0]))


def _domain_allowed(email: str) -> bool:
    allowed = settings.SECULITE_SSO_ALLOWED_DOMAINS
    if not allowed:
        return True
    return email.rsplit("@", 1)[-1] in allowed


def _invited(email: str) -> bool:
    """A pending, unexpired invitation to an organization or project for this address."""
    fresh = Q(email__iexact=email, accepted_at__isnull=True) & Q(
        created_at__gte=timezone.now() - INVITATION_LIFETIME
    )
    return (
        OrganizationInvitation.objects.filter(fresh).exists()
        or ProjectInvitation.objects.filter(fresh).exists()
    )


def _user_create(identity: SsoIdentity) -> User:
    base = (
        identity.username_hint
        if identity.username_hint and "@" not in identity.username_hint
        else ""
    )
    username = _username_from_email(f"{base or identity.email.split('@', 1)[0]}@x")
    user = User(
        username=username,
        email=identity.email,
        first_name=identity.first_name,
        last_name=identity.last_name,
    )
    # No local password: this person signs in through the provider.
    user.set_unusable_password()
    user.save()
    return user


@dataclass(frozen=True)
class Resolution:
    user: User
    created: bool = False
    linked: bool = False


def sso_account_resolve(*, sociallogin: SocialLogin, identity: SsoIdentity) -> Resolution:
    """The account this sign-in is for, or SsoRefused with the reason. Creates or links
    (saving the SocialAccount) when the rules allow; never signs anyone in."""
    if sociallogin.is_existing:
        user = sociallogin.user
        assert isinstance(user, User)
        if not user.is_active:
            raise SsoRefused(SsoError.INACTIVE)
        if identity.email and not _domain_allowed(identity.email):
            raise SsoRefused(SsoError.DOMAIN_NOT_ALLOWED)
        return Resolution(user=user)
    if not identity.email or "@" not in identity.email:
        raise SsoRefused(SsoError.EMAIL_MISSING)
    if not _domain_allowed(identity.email):
        raise SsoRefused(SsoError.DOMAIN_NOT_ALLOWED)
    existing = list(User.objects.filter(email__iexact=identity.email)[:2])
    if existing:
        if len(existing) > 1 or not identity.email_verified:
            raise SsoRefused(SsoError.EMAIL_UNVERIFIED)
        user = existing[0]
        if not user.is_active:
            raise SsoRefused(SsoError.INACTIVE)
        return Resolution(user=user, linked=True)
    if not settings.SECULITE_SSO_JIT and not _invited(identity.email):
        raise SsoRefused(SsoError.NO_ACCOUNT)
    return Resolution(user=_user_create(identity), created=True)
