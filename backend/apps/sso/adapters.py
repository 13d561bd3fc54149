"""django-allauth adapters: where allauth's flows hand over to SecuLite's rules.

* `pre_social_login` (after the provider's answer passed allauth's checks and ours): the
  OIDC nonce, then the account rules (apps/sso/accounts.py) and the role mapping
  (apps/sso/roles.py); a refusal goes back to the sign-in page as `?sso_error=<code>`.
* `login`: the session starts through `session_begin`, like a password sign-in, so the
  MFA policy applies to SSO too; `post_login` sends the browser to the web app's sign-in
  page with the outcome (`?sso=done&status=…`), which goes on to the MFA step if needed.
* Errors anywhere in allauth's cycle land on the sign-in page, never on an allauth template.
"""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialLogin
from allauth.socialaccount.providers.base.constants import AuthError, AuthProcess
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from apps.sso.accounts import identity_from_sociallogin, sso_account_resolve
from apps.sso.config import options_from_settings
from apps.sso.errors import SsoError, SsoRefused, sso_error_redirect
from apps.sso.oidc import nonce_matches
from apps.sso.roles import groups_from_claims, sso_roles_sync
from apps.sso.secrets import client_secret_decrypt
from apps.sso.session import sso_audit, sso_session_begin

logger = logging.getLogger(__name__)

PROFILE_PAGE = "/profile"


def _provider_id(sociallogin: SocialLogin) -> str:
    return str(sociallogin.account.provider)


class SsoSocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        provider = sociallogin.account.get_provider()
        request.sso_provider_id = _provider_id(sociallogin)  # type: ignore[attr-defined]
        connecting = sociallogin.state.get("process") == AuthProcess.CONNECT
        page = PROFILE_PAGE if connecting else "/login"
        try:
            if provider.id == "openid_connect" and not nonce_matches(
                sociallogin.state, sociallogin.account.extra_data or {}
            ):
                raise SsoRefused(SsoError.INVALID_RESPONSE)
            if connecting:
                self._check_connect(request, sociallogin)
                return
            options = options_from_settings(provider.app.settings or {})
            identity = identity_from_sociallogin(sociallogin, options)
            resolution = sso_account_resolve(sociallogin=sociallogin, identity=identity)
        except SsoRefused as refused:
            sso_audit(
                "sso_sign_in_failed",
                request=request,
                provider=_provider_id(sociallogin),
                reason=refused.code.value,
            )
            raise ImmediateHttpResponse(sso_error_redirect(refused.code, page=page)) from refused
        if not sociallogin.is_existing:
            sociallogin.connect(request, resolution.user)
            if resolution.linked:
                sso_audit(
                    "sso_account_linked",
                    request=request,
                    actor=resolution.user,
                    provider=_provider_id(sociallogin),
                    how="verified_email",
                )
        groups = groups_from_claims(sociallogin.account.extra_data or {}, options.groups_claim)
        sso_roles_sync(
            user=resolution.user,
            provider_id=_provider_id(sociallogin),
            groups=groups,
            mapping=options.role_mapping,
        )

    def _check_connect(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Connecting from the profile: the person proved the account by being signed in.
        An identity already linked to someone else stays theirs."""
        if not request.user.is_authenticated:
            raise SsoRefused(SsoError.FAILED)
        if sociallogin.is_existing and sociallogin.user != request.user:
            raise SsoRefused(SsoError.ALREADY_LINKED)
        sso_audit(
            "sso_account_linked",
            request=request,
            actor=request.user,
            provider=_provider_id(sociallogin),
            how="signed_in",
        )

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: Any = None,
        exception: Any = None,
        extra_context: Any = None,
    ) -> None:
        code = SsoError.CANCELLED if error == AuthError.CANCELLED else SsoError.INVALID_RESPONSE
        logger.warning(
            "SSO sign-in with %s failed: %s %s",
            getattr(getattr(provider, "app", None), "provider_id", provider),
            error,
            type(exception).__name__ if exception else "",
        )
        sso_audit(
            "sso_sign_in_failed",
            request=request,
            provider=str(getattr(getattr(provider, "app", None), "provider_id", "") or ""),
            reason=code.value,
        )
        raise ImmediateHttpResponse(sso_error_redirect(code))

    def list_apps(self, request: Any, provider: Any = None, client_id: Any = None) -> list:
        """allauth's apps, with admin-made client secrets decrypted in memory only."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        for app in apps:
            app.secret = client_secret_decrypt(app.secret)
        return apps

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Accounts are made in pre_social_login by our rules, never by allauth's sign-up form.
        return False

    def get_connect_redirect_url(self, request: HttpRequest, socialaccount: Any) -> str:
        return f"{PROFILE_PAGE}?sso_connected={socialaccount.provider}"


class SsoAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def login(self, request: HttpRequest, user: Any) -> None:
        method = f"sso:{getattr(request, 'sso_provider_id', '')}"
        request.sso_outcome = sso_session_begin(  # type: ignore[attr-defined]
            request, user, method=method
        )

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        # session_begin audits the sign-in (method "sso:<provider>") when it completes,
        # which for a user with a second factor is after the MFA step.
        outcome = getattr(request, "sso_outcome", "signed_in")
        return HttpResponseRedirect(f"/login?sso=done&status={outcome}")

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # allauth sends no mail here: accounts' own mails live in apps/accounts/emails.py.
        return None
