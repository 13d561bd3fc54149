"""Serializers of the single sign-on API: what the sign-in page and the profile show.
Never a client secret, certificate or token."""

from __future__ import annotations

from rest_framework import serializers


class SsoProviderOutputSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["oidc", "saml"])
    start_url = serializers.CharField(help_text="POST here (JSON) to get the browser's start URL.")


class SsoProvidersOutputSerializer(serializers.Serializer):
    providers = SsoProviderOutputSerializer(many=True)
    local_passwords = serializers.BooleanField(
        help_text="False when password sign-in is off (break-glass accounts excepted)."
    )


class SsoStartInputSerializer(serializers.Serializer):
    process = serializers.ChoiceField(choices=["login", "connect"], default="login")


class SsoStartOutputSerializer(serializers.Serializer):
    redirect_url = serializers.CharField()


class SsoConnectionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    provider = serializers.CharField()
    provider_name = serializers.CharField()
    kind = serializers.CharField()
    connected_at = serializers.DateTimeField()
