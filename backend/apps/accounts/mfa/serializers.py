"""Request and response shapes of the two-factor endpoints."""

from __future__ import annotations

from rest_framework import serializers

from apps.accounts.mfa.policy import MfaMethod
from apps.accounts.models import WebAuthnCredential
from apps.accounts.serializers import UserOutputSerializer
from apps.accounts.signin import SIGN_IN_STATUSES

METHOD_CHOICES = MfaMethod.choices


class WebAuthnCredentialOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebAuthnCredential
        fields = ["id", "name", "created_at", "last_used_at"]


class MfaStatusOutputSerializer(serializers.Serializer):
    methods = serializers.ListField(child=serializers.ChoiceField(choices=METHOD_CHOICES))
    totp_enabled = serializers.BooleanField()
    webauthn_credentials = WebAuthnCredentialOutputSerializer(many=True)
    recovery_codes_left = serializers.IntegerField()
    required_reason = serializers.CharField(allow_blank=True)
    pending = serializers.CharField(allow_blank=True, help_text="The half-done sign-in, if any.")


class TotpSetupOutputSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The key to type into an app that cannot scan.")
    otpauth_uri = serializers.CharField()
    qr_svg = serializers.CharField()


class CodeInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=64, trim_whitespace=True)


class ReauthInputSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=256, required=False, allow_blank=True)
    code = serializers.CharField(max_length=64, required=False, allow_blank=True)


class WebAuthnRegisterInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, default="Security key")
    credential = serializers.DictField(help_text="The PublicKeyCredential, JSON-encoded.")


class ChallengeInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=METHOD_CHOICES)
    code = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    credential = serializers.DictField(required=False, default=dict)

    def validate(self, attrs: dict) -> dict:
        if attrs["method"] == "webauthn" and not attrs["credential"]:
            raise serializers.ValidationError({"credential": ["The security key's answer."]})
        if attrs["method"] != "webauthn" and not attrs["code"].strip():
            raise serializers.ValidationError({"code": ["Enter the code."]})
        return attrs


class SignInStepOutputSerializer(serializers.Serializer):
    """The login answer's shape, plus recovery codes to show once after an enrolment."""

    status = serializers.ChoiceField(choices=SIGN_IN_STATUSES)
    user = UserOutputSerializer(allow_null=True)
    mfa_methods = serializers.ListField(child=serializers.CharField())
    recovery_codes = serializers.ListField(child=serializers.CharField())


class RecoveryCodesOutputSerializer(serializers.Serializer):
    recovery_codes = serializers.ListField(child=serializers.CharField())


class WebAuthnOptionsOutputSerializer(serializers.Serializer):
    """PublicKeyCredentialCreationOptions / RequestOptions as JSON (binary fields base64url)."""

    challenge = serializers.CharField()
