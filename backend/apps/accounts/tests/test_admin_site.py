"""The Django admin cannot be a way around the second factor."""

import pytest
from django.test import Client

from apps.accounts.models import TotpDevice
from apps.accounts.tests.mfa.conftest import code_at
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_the_admin_login_form_signs_nobody_in(staff):
    client = Client()

    page = client.get("/admin/login/?next=/admin/auth/user/")
    posted = client.post(
        "/admin/login/", {"username": "root", "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )

    assert page.status_code == 200
    assert b'href="/login?next=%2Fadmin%2Fauth%2Fuser%2F"' in page.content
    assert posted.status_code == 302
    assert posted["Location"] == "/login?next=%2Fadmin%2F"
    assert "_auth_user_id" not in client.session
    assert client.get("/api/v1/auth/me/").status_code in (401, 403)


def test_a_session_without_the_sign_in_flow_is_not_admitted(staff):
    client = Client()
    client.force_login(staff)  # a Django login that skipped apps.accounts.signin

    assert client.get("/admin/").status_code == 302


def test_staff_signed_in_with_their_second_factor_reach_the_admin(staff):
    client = Client()
    login = {"username": "root", "password": DEFAULT_PASSWORD}
    client.post("/api/v1/auth/login/", login, content_type="application/json")
    setup = client.post("/api/v1/auth/mfa/totp/setup/", content_type="application/json").json()
    client.post(
        "/api/v1/auth/mfa/totp/confirm/",
        {"code": code_at(setup["secret"])},
        content_type="application/json",
    )

    assert TotpDevice.objects.get(user=staff).confirmed_at is not None
    assert client.get("/admin/").status_code == 200


def test_the_api_ignores_a_session_that_skipped_the_sign_in_flow(user):
    client = Client()
    client.force_login(user)  # e.g. a session from before two-factor sign-in existed

    assert client.get("/api/v1/auth/me/").status_code == 401

    session = client.session
    session["seculite_mfa"] = ""
    session.save()
    assert client.get("/api/v1/auth/me/").status_code == 200
