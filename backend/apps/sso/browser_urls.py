"""Browser routes under /accounts/: our start URL, the OIDC callback (with our checked
adapter), and allauth's SAML endpoints (ACS, metadata). Deliberately not routed: allauth's
account pages (its password login, sign-up, e-mail management: the web app and our API own
those), its provider login pages (our start URL with its one-time token is the only way in)
and SAML single logout (not offered; an unsigned logout request could end sessions)."""

from allauth.socialaccount.providers.saml import views as saml_views
from django.urls import URLPattern, path

from apps.sso import oidc, saml
from apps.sso.views import sso_start

urlpatterns: list[URLPattern] = [
    path("sso/<str:provider_id>/start/", sso_start, name="sso-browser-start"),
    path("oidc/<str:provider_id>/login/callback/", oidc.callback, name="openid_connect_callback"),
    path("saml/<str:organization_slug>/acs/", saml_views.acs, name="saml_acs"),
    path("saml/<str:organization_slug>/acs/finish/", saml.finish_acs, name="saml_finish_acs"),
    # Named because allauth's SP metadata names it; single logout is not offered.
    path("saml/<str:organization_slug>/sls/", saml.sls_not_offered, name="saml_sls"),
    path("saml/<str:organization_slug>/metadata/", saml_views.metadata, name="saml_metadata"),
]
