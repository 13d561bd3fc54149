"""TOTP through the API: enrolment a policy demands, the challenge after the password, replay,
lockout, recovery codes, removal with the password; API keys are never asked."""

import re

import pytest
from django.test import override_settings

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.models import RecoveryCode, TotpDevice
from apps.accounts.services import api_key_create
from apps.accounts.tests.mfa.conftest import code_at
from apps.accounts.tests.utils import login, token_client
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db
MFA = "/api/v1/auth/mfa/"
ME = "/api/v1/auth/me/"


def _enrol(client):
    setup = client.post(f"{MFA}totp/setup/", format="json")
    assert setup.status_code == 200, setup.json()
    secret = setup.json()["secret"]
    confirmed = client.post(f"{MFA}totp/confirm/", {"code": code_at(secret)}, format="json")
    assert confirmed.status_code == 200, confirmed.json()
    return secret, confirmed.json()


def test_staff_enrol_totp_during_sign_in_and_are_then_signed_in(api_client, staff):
    assert login(api_client, "root").json()["status"] == "mfa_enrolment_required"
    assert api_client.get(ME).status_code in (401, 403)
    assert api_client.get(MFA).json()["required_reason"] == "staff"

    setup = api_client.post(f"{MFA}totp/setup/", format="json").json()
    assert setup["otpauth_uri"].startswith("otpauth://totp/SecuLite:root?secret=")
    assert setup["qr_svg"].startswith("<svg")
    assert api_client.get(ME).status_code in (401, 403)
    confirmed = api_client.post(
        f"{MFA}totp/confirm/", {"code": code_at(setup["secret"])}, format="json"
    ).json()

    assert confirmed["status"] == "signed_in"
    assert confirmed["user"]["username"] == "root"
    assert len(confirmed["recovery_codes"]) == 10
    assert len(set(confirmed["recovery_codes"])) == 10
    assert api_client.get(ME).json()["username"] == "root"
    device = TotpDevice.objects.get(user=staff)
    assert device.confirmed_at is not None
    # Encrypted at rest: the column never holds the secret in clear.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_totpdevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert setup["secret"] not in stored
    assert stored.startswith("v1:")
    assert not RecoveryCode.objects.filter(code_hash__in=confirmed["recovery_codes"]).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {AuditAction.MFA_ENROLLED, AuditAction.SIGN_IN} <= actions


def test_a_wrong_code_does_not_confirm(api_client, user):
    login(api_client, "alice")
    secret = api_client.post(f"{MFA}totp/setup/", format="json").json()["secret"]
    wrong = f"{(int(code_at(secret)) + 1) % 1_000_000:06d}"

    response = api_client.post(f"{MFA}totp/confirm/", {"code": wrong}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_code"
    assert TotpDevice.objects.get(user=user).confirmed_at is None


def test_sign_in_answers_the_totp_challenge_and_a_code_cannot_be_replayed(api_client, user):
    login(api_client, "alice")
    secret, _ = _enrol(api_client)
    api_client.post("/api/v1/auth/logout/")

    assert login(api_client, "alice").json() == {
        "status": "mfa_required",
        "user": None,
        "mfa_methods": ["totp", "recovery_code"],
    }
    assert api_client.get(ME).status_code in (401, 403)
    # The code used to confirm the app is spent: its step is recorded.
    replay = api_client.post(
        f"{MFA}challenge/", {"method": "totp", "code": code_at(secret)}, format="json"
    )
    assert replay.status_code == 400
    assert replay.json()["error"]["code"] == "invalid_code"

    answer = api_client.post(
        f"{MFA}challenge/", {"method": "totp", "code": code_at(secret, 1)}, format="json"
    )

    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "signed_in"
    assert api_client.get(ME).json()["id"] == user.id
    sign_in = AuditEvent.objects.filter(action=AuditAction.SIGN_IN).latest("id")
    assert sign_in.detail == {"method": "password", "mfa": "totp"}


def test_a_recovery_code_works_once(api_client, user):
    login(api_client, "alice")
    _, confirmed = _enrol(api_client)
    code = confirmed["recovery_codes"][0]

    for _ in range(2):
        api_client.post("/api/v1/auth/logout/")
        login(api_client, "alice")
        answer = api_client.post(
            f"{MFA}challenge/", {"method": "recovery_code", "code": code.upper()}, format="json"
        )
        if answer.status_code != 200:
            break

    assert answer.status_code == 400
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODE_USED).count() == 1


@override_settings(AXES_FAILURE_LIMIT=3)
def test_wrong_codes_lock_the_challenge_out(api_client, user):
    login(api_client, "alice")
    secret, _ = _enrol(api_client)
    api_client.post("/api/v1/auth/logout/")
    login(api_client, "alice")

    answers = [
        api_client.post(f"{MFA}challenge/", {"method": "totp", "code": "000000"}, format="json")
        for _ in range(3)
    ]
    locked = api_client.post(
        f"{MFA}challenge/", {"method": "totp", "code": code_at(secret, 1)}, format="json"
    )

    assert [a.status_code for a in answers] == [400, 400, 429]
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "account_locked"
    assert AuditEvent.objects.filter(action=AuditAction.MFA_CHALLENGE_FAILED).count() == 3


def test_challenge_without_a_pending_sign_in_is_refused(api_client, user):
    response = api_client.post(f"{MFA}challenge/", {"method": "totp", "code": "1"}, format="json")

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "body",
    [{"method": "sms", "code": "1"}, {"method": "totp"}, {"method": "webauthn"}, ["x"]],
)
def test_malformed_challenges_get_field_errors(api_client, user, body):
    login(api_client, "alice")
    _enrol(api_client)
    api_client.post("/api/v1/auth/logout/")
    login(api_client, "alice")

    response = api_client.post(f"{MFA}challenge/", body, format="json")

    assert response.status_code == 400
    assert "error" in response.json()


def test_removing_totp_needs_the_password(api_client, user):
    login(api_client, "alice")
    _enrol(api_client)

    refused = api_client.post(f"{MFA}totp/remove/", {"password": "nope"}, format="json")
    removed = api_client.post(f"{MFA}totp/remove/", {"password": DEFAULT_PASSWORD}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "reauthentication_required"
    assert removed.status_code == 204
    assert not TotpDevice.objects.filter(user=user).exists()
    assert not RecoveryCode.objects.filter(user=user).exists()
    assert AuditEvent.objects.filter(action=AuditAction.MFA_REMOVED).count() == 1


def test_staff_cannot_remove_their_last_factor(api_client, staff):
    login(api_client, "root")
    _enrol(api_client)

    response = api_client.post(f"{MFA}totp/remove/", {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_required"


def test_regenerating_recovery_codes_replaces_them_and_is_audited(api_client, user):
    login(api_client, "alice")
    _, confirmed = _enrol(api_client)

    response = api_client.post(
        f"{MFA}recovery-codes/", {"password": DEFAULT_PASSWORD}, format="json"
    )

    codes = response.json()["recovery_codes"]
    assert len(codes) == 10
    assert all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", c) for c in codes)
    assert not set(codes) & set(confirmed["recovery_codes"])
    assert RecoveryCode.objects.filter(user=user).count() == 10
    assert AuditEvent.objects.filter(action=AuditAction.RECOVERY_CODES_REGENERATED).exists()


def test_a_second_setup_is_refused_while_an_app_is_enabled(api_client, user):
    login(api_client, "alice")
    _enrol(api_client)

    response = api_client.post(f"{MFA}totp/setup/", format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "totp_exists"


def test_api_keys_are_never_asked_for_a_second_factor(staff):
    _, key = api_key_create(user=staff, name="ci")

    client = token_client(key)

    assert client.get(ME).json()["username"] == "root"
    assert client.get("/api/v1/projects/").status_code == 200
    # ...and cannot manage second factors: a machine has none.
    assert client.post(f"{MFA}totp/setup/", format="json").status_code in (401, 403)
