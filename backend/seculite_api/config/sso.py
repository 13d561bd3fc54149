"""Single sign-on (django-allauth's OpenID Connect and SAML providers): providers from
SECULITE_SSO_PROVIDERS, account rules, and whether local passwords still work.

SECULITE_SSO_PROVIDERS is a JSON list; each entry becomes an allauth "app" in settings
(staff may add more as SocialApps in the Django admin). See apps/sso/config.py for the fields.
"""

from apps.sso.config import allauth_apps_from_env
from seculite_api.env import env

SECULITE_SSO_PROVIDERS_RAW = env.str("SECULITE_SSO_PROVIDERS", default="[]")
SECULITE_SSO_JIT = env.bool("SECULITE_SSO_JIT", default=True)
SECULITE_SSO_ALLOWED_DOMAINS = [
    domain.lower().lstrip("@") for domain in env.list("SECULITE_SSO_ALLOWED_DOMAINS", default=[])
]
SECULITE_LOCAL_PASSWORDS = env.bool("SECULITE_LOCAL_PASSWORDS", default=True)
SECULITE_BREAK_GLASS_USERNAMES = env.list("SECULITE_BREAK_GLASS_USERNAMES", default=[])

_oidc_apps, _saml_apps = allauth_apps_from_env(SECULITE_SSO_PROVIDERS_RAW)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": _oidc_apps,
        "OAUTH_PKCE_ENABLED": True,
        "provider_class": "apps.sso.oidc.CheckedOpenIDConnectProvider",
    },
    "saml": {
        "APPS": _saml_apps,
        "provider_class": "apps.sso.saml.ReplaySafeSAMLProvider",
    },
}
SOCIALACCOUNT_ADAPTER = "apps.sso.adapters.SsoSocialAccountAdapter"
ACCOUNT_ADAPTER = "apps.sso.adapters.SsoAccountAdapter"
# Our adapter decides every account question (apps/sso/accounts.py): allauth never shows its
# own sign-up form, never matches accounts by e-mail on its own and never sends mail.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_QUERY_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*"]
# Outbound calls (discovery, token, JWKS, SAML metadata) time out instead of hanging a worker.
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
