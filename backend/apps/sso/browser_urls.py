"""Browser routes under /accounts/: our start URL, the OIDC callback (with our checked
adapter), and allauth's SAML endpoints (ACS, metadata). allauth's own account pages (its
password login, sign-up, e-mail management) are deliberately not routed: the web app and
our API own those."""

from allauth.socialaccount.providers.saml import views as saml_views
from django.urls import URLPattern, path

from apps.sso import oidc, saml
from apps.sso.views import sso_start

urlpatterns: list[URLPattern] = [
    path("sso/<str:provider_id>/start/", sso_start, name="sso-browser-start"),
    path("oidc/<str:provider_id>/login/", oidc.login, name="openid_connect_login"),
    path("oidc/<str:provider_id>/login/callback/", oidc.callback, name="openid_connect_callback"),
    path("saml/<str:organization_slug>/acs/", saml_views.acs, name="saml_acs"),
    path("saml/<str:organization_slug>/acs/finish/", saml.finish_acs, name="saml_finish_acs"),
    path("saml/<str:organization_slug>/sls/", saml_views.sls, name="saml_sls"),
    path("saml/<str:organization_slug>/metadata/", saml_views.metadata, name="saml_metadata"),
    path("saml/<str:organization_slug>/login/", saml_views.login, name="saml_login"),
]
