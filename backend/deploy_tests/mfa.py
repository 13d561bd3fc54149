"""Signing in over HTTP as an account that needs a second factor (staff do by default):
enrol TOTP on the first sign-in, answer the challenge afterwards.

One `MfaAccount` per account and stack remembers the TOTP secret, the last time step used
(the server refuses a code twice) and the recovery codes, which stand in when a second
sign-in falls in the same 30-second step, so no test waits for the clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyotp

from deploy_tests.client import Client, Response

TOTP_STEP_SECONDS = 30


@dataclass
class MfaAccount:
    username: str
    password: str
    secret: str = ""
    last_step: int = 0
    recovery_codes: list[str] = field(default_factory=list)

    def _fresh_code(self) -> str | None:
        step = int(time.time() // TOTP_STEP_SECONDS)
        if step <= self.last_step:
            return None
        self.last_step = step
        return pyotp.TOTP(self.secret).generate_otp(step)

    def _challenge_answer(self) -> dict[str, str]:
        code = self._fresh_code()
        if code is not None:
            return {"method": "totp", "code": code}
        if self.recovery_codes:
            return {"method": "recovery_code", "code": self.recovery_codes.pop()}
        time.sleep(TOTP_STEP_SECONDS - time.time() % TOTP_STEP_SECONDS + 0.5)
        return self._challenge_answer()

    def sign_in(self, client: Client) -> Response:
        """Sign `client` in with the password and, when asked, TOTP; returns the last answer,
        whose status is 200 and body `{"status": "signed_in", ...}` on success."""
        answer = client.post(
            "/api/v1/auth/login/",
            json_body={"username": self.username, "password": self.password},
        )
        if answer.status != 200:
            return answer
        # A backend from before two-factor sign-in (the upgrade test) answers without one.
        status = answer.json().get("status", "signed_in")
        if status == "mfa_enrolment_required":
            return self._enrol(client)
        if status == "mfa_required":
            return client.post("/api/v1/auth/mfa/challenge/", json_body=self._challenge_answer())
        return answer

    def _enrol(self, client: Client) -> Response:
        setup = client.post("/api/v1/auth/mfa/totp/setup/", json_body={})
        assert setup.status == 200, (setup.status, setup.text)
        self.secret = setup.json()["secret"]
        self.last_step = 0
        code = self._fresh_code()
        assert code is not None
        confirmed = client.post("/api/v1/auth/mfa/totp/confirm/", json_body={"code": code})
        if confirmed.status == 200:
            self.recovery_codes = list(confirmed.json()["recovery_codes"])
        return confirmed
