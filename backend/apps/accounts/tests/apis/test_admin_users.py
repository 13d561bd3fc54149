"""User administration: staff only; invite by email, (de)activate, staff status, resets."""

import pytest
from django.contrib.auth.models import User
from django.core import mail

from apps.accounts.models import UserProfile
from apps.accounts.tests.utils import STRONG_PASSWORD, login
from apps.common.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/admin/users/"


@pytest.mark.parametrize(
    ("method", "path", "payload"),
    [
        ("get", "", None),
        ("post", "", {"email": "new@example.com"}),
        ("get", "{id}/", None),
        ("patch", "{id}/", {"is_active": False}),
        ("post", "{id}/password-reset/", None),
    ],
)
def test_non_staff_are_refused(client_for, user, method, path, payload):
    target = UserFactory()
    url = URL + path.format(id=target.id)

    response = getattr(client_for(user), method)(url, payload)

    assert response.status_code == 403
    assert response.json()["error"] == {
        "status": 403,
        "code": "permission_denied",
        "message": "You do not have permission to perform this action.",
    }
    assert not User.objects.filter(email="new@example.com").exists()
    target.refresh_from_db()
    assert target.is_active
    assert mail.outbox == []


def test_anonymous_is_asked_to_authenticate(api_client):
    response = api_client.get(URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_staff_list_search_filter_and_order(client_for, staff, user):
    UserFactory(username="zed", email="zed@corp.example", is_active=False)
    client = client_for(staff)

    everyone = client.get(URL).json()
    searched = client.get(URL, {"search": "corp.example"}).json()
    inactive = client.get(URL, {"is_active": "false"}).json()
    staff_only = client.get(URL, {"is_staff": "true"}).json()
    newest_first = client.get(URL, {"ordering": "-username"}).json()

    assert everyone["count"] == 3
    assert [u["username"] for u in everyone["results"]] == ["alice", "root", "zed"]
    assert [u["username"] for u in searched["results"]] == ["zed"]
    assert [u["username"] for u in inactive["results"]] == ["zed"]
    assert [u["username"] for u in staff_only["results"]] == ["root"]
    assert [u["username"] for u in newest_first["results"]] == ["zed", "root", "alice"]
    assert "password" not in everyone["results"][0]
    assert everyone["results"][0]["has_usable_password"] is True


def test_invite_creates_a_user_and_emails_a_set_password_link(client_for, staff, api_client):
    response = client_for(staff).post(
        URL, {"email": "new.hire@example.com", "first_name": "New", "is_staff": False}
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "new.hire"
    assert body["is_active"] is True
    assert body["has_usable_password"] is False
    user = User.objects.get(pk=body["id"])
    assert not user.has_usable_password()
    assert UserProfile.objects.filter(user=user).exists()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.hire@example.com"]
    assert "/reset-password?uid=" in mail.outbox[0].body
    # The invitee cannot sign in until they pick a password through the link.
    assert login(api_client, "new.hire", "").status_code == 400


def test_invitee_sets_a_password_through_the_emailed_link(client_for, staff, api_client):
    client_for(staff).post(URL, {"email": "pat@example.com", "username": "pat"})
    body = mail.outbox[0].body
    query = body.split("/reset-password?", 1)[1].split()[0]
    uid, token = (part.split("=", 1)[1] for part in query.split("&"))

    response = api_client.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": token, "new_password": STRONG_PASSWORD},
    )

    assert response.status_code == 200
    assert login(api_client, "pat", STRONG_PASSWORD).status_code == 200


def test_invite_picks_a_free_username(client_for, staff, user):
    response = client_for(staff).post(URL, {"email": "alice@elsewhere.example"})

    assert response.status_code == 201
    assert response.json()["username"] == "alice2"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "ALICE@example.com"}, "email"),
        ({"email": "x@example.com", "username": "alice"}, "username"),
        ({"email": "x@example.com", "username": "a@b"}, "username"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_invite_refusals(client_for, staff, user, payload, field):
    response = client_for(staff).post(URL, payload)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    assert User.objects.count() == 2
    assert mail.outbox == []


def test_staff_deactivates_and_promotes_users(client_for, staff, user):
    client = client_for(staff)

    deactivated = client.patch(f"{URL}{user.id}/", {"is_active": False})
    promoted = client.patch(f"{URL}{user.id}/", {"is_active": True, "is_staff": True})

    assert deactivated.status_code == 200
    assert deactivated.json()["is_active"] is False
    assert promoted.json()["is_staff"] is True
    user.refresh_from_db()
    assert user.is_active
    assert user.is_staff


def test_deactivated_user_cannot_log_in(client_for, staff, user, api_client):
    client_for(staff).patch(f"{URL}{user.id}/", {"is_active": False})

    assert login(api_client, "alice").json()["error"]["code"] == "invalid_credentials"


@pytest.mark.parametrize("payload", [{"is_active": False}, {"is_staff": False}])
def test_staff_cannot_lock_themselves_out(client_for, staff, payload):
    response = client_for(staff).patch(f"{URL}{staff.id}/", payload)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "cannot_change_self"
    staff.refresh_from_db()
    assert staff.is_active
    assert staff.is_staff


def test_only_superusers_change_superusers(client_for, staff):
    superuser = UserFactory(is_staff=True, is_superuser=True)

    refused = client_for(staff).patch(f"{URL}{superuser.id}/", {"is_active": False})
    allowed = client_for(UserFactory(is_staff=True, is_superuser=True)).patch(
        f"{URL}{superuser.id}/", {"is_staff": False}
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert allowed.status_code == 200
    superuser.refresh_from_db()
    assert superuser.is_active
    assert not superuser.is_staff


def test_staff_sends_a_password_reset(client_for, staff, user):
    response = client_for(staff).post(f"{URL}{user.id}/password-reset/")

    assert response.status_code == 202
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_password_reset_for_a_deactivated_user_is_refused(client_for, staff):
    inactive = UserFactory(is_active=False)

    response = client_for(staff).post(f"{URL}{inactive.id}/password-reset/")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "user_inactive"
    assert mail.outbox == []


def test_unknown_user_is_not_found(client_for, staff):
    assert client_for(staff).get(f"{URL}999999/").status_code == 404
