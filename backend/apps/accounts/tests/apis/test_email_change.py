"""Email change: needs the current password, is confirmed from the new address, tells the old
address, and answers the same whether or not the new address already has an account."""

import re

import pytest
from django.core import mail

from apps.accounts.tests.utils import login
from apps.common.testing.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/email/change/"
CONFIRM_URL = "/api/v1/auth/email/change/confirm/"
LINK = re.compile(r"http://\S+/confirm-email\?token=(?P<token>[\w:.-]+)")


def _token(message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match["token"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "new@example.com"}, "current_password"),
        (
            {"email": "new@example.com", "current_password": "wrong-password-123"},
            "current_password",
        ),
        ({"current_password": DEFAULT_PASSWORD}, "email"),
    ],
)
def test_email_change_needs_the_current_password(client_for, user, payload, field):
    response = client_for(user).post(URL, payload)

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    user.refresh_from_db()
    assert user.email == "alice@example.com"
    assert not mail.outbox


def test_email_change_is_confirmed_from_the_new_address_and_tells_the_old(
    api_client, user, settings
):
    settings.FRONTEND_URL = "http://frontend.test"
    login(api_client, "alice")

    response = api_client.post(
        URL, {"email": "alice@wonderland.example", "current_password": DEFAULT_PASSWORD}
    )

    assert response.status_code == 202, response.json()
    user.refresh_from_db()
    assert user.email == "alice@example.com"  # not before the new address confirms
    by_recipient = {tuple(m.to): m for m in mail.outbox}
    assert set(by_recipient) == {("alice@wonderland.example",), ("alice@example.com",)}
    assert "alice@wonderland.example" in by_recipient[("alice@example.com",)].body
    token = _token(by_recipient[("alice@wonderland.example",)])
    mail.outbox.clear()

    confirm = api_client.post(CONFIRM_URL, {"token": token})

    assert confirm.status_code == 200, confirm.json()
    user.refresh_from_db()
    assert user.email == "alice@wonderland.example"
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "changed" in mail.outbox[0].body
    # The link works once.
    again = api_client.post(CONFIRM_URL, {"token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


def test_email_change_to_an_address_in_use_answers_the_same(client_for, user):
    other = UserFactory(email="taken@example.com")
    client = client_for(user)

    taken = client.post(URL, {"email": "TAKEN@example.com", "current_password": DEFAULT_PASSWORD})
    free = client.post(URL, {"email": "free@example.com", "current_password": DEFAULT_PASSWORD})

    assert taken.status_code == free.status_code == 202
    assert taken.json()["detail"].replace("TAKEN@example.com", "X") == free.json()[
        "detail"
    ].replace("free@example.com", "X")
    # The owner of the address in use hears about it; no link lets alice take it.
    to_taken = [m for m in mail.outbox if m.to == ["taken@example.com"]]
    assert len(to_taken) == 1
    assert not LINK.search(to_taken[0].body)
    user.refresh_from_db()
    other.refresh_from_db()
    assert (user.email, other.email) == ("alice@example.com", "taken@example.com")


def test_confirm_refuses_a_bad_token(client_for, user):
    response = client_for(user).post(CONFIRM_URL, {"token": "bogus"})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
