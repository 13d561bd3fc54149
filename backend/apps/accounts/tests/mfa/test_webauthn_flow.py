"""Security keys through the API with a software authenticator: a real attestation and real
signed assertions, verified by py_webauthn."""

import pytest

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.models import WebAuthnCredential
from apps.accounts.tests.mfa.authenticator import SoftAuthenticator
from apps.accounts.tests.mfa.conftest import ORIGIN, RP_ID
from apps.accounts.tests.utils import login
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
MFA = "/api/v1/auth/mfa/"
ME = "/api/v1/auth/me/"


def _register(client, authenticator, name="YubiKey"):
    options = client.post(f"{MFA}webauthn/register/options/", format="json").json()
    assert options["rp"]["id"] == RP_ID
    return client.post(
        f"{MFA}webauthn/register/",
        {"name": name, "credential": authenticator.create(options)},
        format="json",
    )


def _challenge(client, authenticator, **kwargs):
    options = client.post(f"{MFA}challenge/webauthn/options/", format="json").json()
    return client.post(
        f"{MFA}challenge/",
        {"method": "webauthn", "credential": authenticator.get(options, **kwargs)},
        format="json",
    )


def test_staff_register_a_security_key_and_sign_in_with_it(api_client, staff, authenticator):
    assert login(api_client, "root").json()["status"] == "mfa_enrolment_required"

    registered = _register(api_client, authenticator)

    assert registered.status_code == 200, registered.json()
    assert registered.json()["status"] == "signed_in"
    assert len(registered.json()["recovery_codes"]) == 10
    stored = WebAuthnCredential.objects.get(user=staff)
    assert bytes(stored.credential_id) == authenticator.credential_id
    assert stored.transports == ["usb"]
    assert stored.name == "YubiKey"
    assert AuditEvent.objects.filter(action=AuditAction.MFA_ENROLLED, detail__kind="webauthn")

    api_client.post("/api/v1/auth/logout/")
    assert login(api_client, "root").json()["mfa_methods"] == ["webauthn", "recovery_code"]
    answer = _challenge(api_client, authenticator)

    assert answer.status_code == 200, answer.json()
    assert api_client.get(ME).json()["username"] == "root"
    stored.refresh_from_db()
    assert stored.sign_count == 1
    assert stored.last_used_at is not None


def test_a_repeated_sign_count_is_refused(api_client, user, authenticator):
    login(api_client, "alice")
    _register(api_client, authenticator)
    api_client.post("/api/v1/auth/logout/")
    login(api_client, "alice")
    assert _challenge(api_client, authenticator, sign_count=5).status_code == 200
    api_client.post("/api/v1/auth/logout/")
    login(api_client, "alice")

    cloned = _challenge(api_client, authenticator, sign_count=5)

    assert cloned.status_code == 400
    assert cloned.json()["error"]["code"] == "invalid_code"
    assert api_client.get(ME).status_code in (401, 403)


def test_an_assertion_from_another_origin_or_key_is_refused(api_client, user, authenticator):
    login(api_client, "alice")
    _register(api_client, authenticator)
    api_client.post("/api/v1/auth/logout/")
    login(api_client, "alice")

    phished = _challenge(api_client, authenticator, origin="https://evil.example")
    stranger = SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)
    unknown = _challenge(api_client, stranger)

    assert phished.status_code == 400
    assert unknown.status_code == 400
    assert api_client.get(ME).status_code in (401, 403)


def test_an_answer_without_a_waiting_challenge_is_refused(api_client, user, authenticator):
    login(api_client, "alice")
    options = api_client.post(f"{MFA}webauthn/register/options/", format="json").json()
    credential = authenticator.create(options)
    assert (
        api_client.post(
            f"{MFA}webauthn/register/", {"credential": credential}, format="json"
        ).status_code
        == 200
    )

    again = api_client.post(f"{MFA}webauthn/register/", {"credential": credential}, format="json")

    assert again.status_code == 400
    assert again.json()["error"]["code"] == "webauthn_no_challenge"


@pytest.mark.parametrize(
    "credential",
    [
        {"id": "x"},
        {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {"clientDataJSON": "!"}},
        {"response": "not an object"},
    ],
)
def test_a_malformed_attestation_is_a_clear_400(api_client, user, credential):
    login(api_client, "alice")
    api_client.post(f"{MFA}webauthn/register/options/", format="json")

    response = api_client.post(
        f"{MFA}webauthn/register/", {"credential": credential}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webauthn_invalid"


def test_removing_a_key_needs_the_password(api_client, user, authenticator):
    login(api_client, "alice")
    _register(api_client, authenticator)
    key = WebAuthnCredential.objects.get(user=user)

    refused = api_client.post(f"{MFA}webauthn/{key.pk}/remove/", {}, format="json")
    removed = api_client.post(
        f"{MFA}webauthn/{key.pk}/remove/", {"password": DEFAULT_PASSWORD}, format="json"
    )

    assert refused.status_code == 403
    assert removed.status_code == 204
    assert not WebAuthnCredential.objects.exists()
