"""Two-factor authentication: TOTP, WebAuthn security keys, recovery codes, and the policy
of who must have one."""
