"""Serializers for sign-in, profiles, passwords, API keys and user administration.

Input serializers only check shapes and allowed values; rules that need the database (unique
emails, password strength against the user's own attributes) live in the services.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.models import User
from django.contrib.auth.validators import UnicodeUsernameValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import ApiKey, UserProfile, default_notification_preferences
from apps.accounts.scopes import KeyScope
from apps.accounts.selectors import profile_get_for_user
from apps.accounts.signin import SIGN_IN_STATUSES
from apps.common.ids import IdField

SEVERITY_CHOICES = ["critical", "high", "medium", "low", "informational"]
_TIMEZONES = frozenset(zoneinfo.available_timezones())


def _validate_timezone(value: str) -> None:
    if value not in _TIMEZONES:
        raise serializers.ValidationError(f'"{value}" is not a known IANA time zone.')


def _password_field(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}, **kwargs
    )


class NotificationPreferencesSerializer(serializers.Serializer):
    email_enabled = serializers.BooleanField()
    scan_completed = serializers.BooleanField()
    scan_failed = serializers.BooleanField()
    finding_assigned = serializers.BooleanField()
    new_findings_min_severity = serializers.ChoiceField(choices=SEVERITY_CHOICES)


def _email_preferences(profile: UserProfile) -> dict[str, Any]:
    """The email switches over their defaults (profiles stored before a switch existed show
    its default); the per-event in-app switches are /notifications/preferences/'s."""
    stored = {**default_notification_preferences(), **profile.notification_preferences}
    return {name: stored[name] for name in default_notification_preferences()}


class NotificationPreferencesUpdateSerializer(NotificationPreferencesSerializer):
    """The same switches, each optional: the ones left out keep their stored value."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for field in fields.values():
            field.required = False
        return fields


class ProfileSerializer(serializers.ModelSerializer):
    notification_preferences = serializers.SerializerMethodField()

    class Meta:
        model = UserProfile
        fields = ["timezone", "notification_preferences", "updated_at"]

    @extend_schema_field(NotificationPreferencesSerializer)
    def get_notification_preferences(self, profile: UserProfile) -> dict[str, Any]:
        return _email_preferences(profile)


class UserOutputSerializer(serializers.ModelSerializer):
    """The signed-in user as the web app sees it."""

    profile = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_staff",
            "date_joined",
            "profile",
        ]

    @extend_schema_field(ProfileSerializer)
    def get_profile(self, user: User) -> dict[str, Any]:
        return dict(ProfileSerializer(profile_get_for_user(user=user)).data)


class RegisterInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = serializers.EmailField()
    password = _password_field(max_length=4096)
    first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=254, help_text="Username or email address.")
    password = _password_field(max_length=4096)


class LoginOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=SIGN_IN_STATUSES)
    user = UserOutputSerializer(allow_null=True)
    mfa_methods = serializers.ListField(child=serializers.CharField())


class RegisterConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)


class EmailChangeInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    current_password = _password_field(max_length=4096)


class EmailChangeConfirmInputSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=1024)


class DetailOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()


class ProfileOutputSerializer(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    first_name = serializers.CharField(source="user.first_name")
    last_name = serializers.CharField(source="user.last_name")
    timezone = serializers.CharField()
    notification_preferences = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(NotificationPreferencesSerializer)
    def get_notification_preferences(self, profile: UserProfile) -> dict[str, Any]:
        return _email_preferences(profile)


class ProfileUpdateInputSerializer(serializers.Serializer):
    """All fields optional; `notification_preferences` may name only the switches to change."""

    timezone = serializers.CharField(max_length=64, validators=[_validate_timezone])
    notification_preferences = NotificationPreferencesUpdateSerializer()
    first_name = serializers.CharField(max_length=150, allow_blank=True)
    last_name = serializers.CharField(max_length=150, allow_blank=True)
    email = serializers.EmailField(
        help_text="Not changeable here: use POST /auth/email/change/ with the current password."
    )

    def validate_email(self, value: str) -> str:
        raise serializers.ValidationError(
            "Change the email address with POST /auth/email/change/, "
            "which needs your current password."
        )


class PasswordChangeInputSerializer(serializers.Serializer):
    old_password = _password_field(max_length=4096)
    new_password = _password_field(max_length=4096)


class PasswordResetRequestInputSerializer(serializers.Serializer):
    email = serializers.EmailField()


class PasswordResetConfirmInputSerializer(serializers.Serializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = _password_field(max_length=4096)


class ApiKeyOutputSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(
        source="project_id",
        read_only=True,
        allow_null=True,
        help_text="The one project this key reaches; null: every project of its user.",
    )
    project_name = serializers.CharField(source="project.name", read_only=True, allow_null=True)
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=KeyScope.choices),
        read_only=True,
        help_text="What a project key may do there, with the scopes they imply (import and "
        "scan imply read). Empty for a key without a project.",
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_active",
            "project",
            "project_name",
            "scopes",
        ]
        read_only_fields = fields


class ApiKeyCreatedOutputSerializer(ApiKeyOutputSerializer):
    key = serializers.CharField(
        read_only=True, help_text="The full API key. It is shown only in this response."
    )

    class Meta(ApiKeyOutputSerializer.Meta):
        fields = [*ApiKeyOutputSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    project = IdField(
        source="project_id",
        required=False,
        allow_null=True,
        default=None,
        help_text="Limit the key to this project (you need a role there). Leave it out for a "
        "key that acts as you in every project.",
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=KeyScope.choices),
        required=False,
        default=list,
        max_length=len(KeyScope.choices) * 2,
        help_text="With a project: `read` (auditor and up), `import` and/or `scan` (member and "
        "up; each implies read). Without a project: leave it empty.",
    )


class AdminUserOutputSerializer(serializers.ModelSerializer):
    has_usable_password = serializers.SerializerMethodField(
        help_text="False until an invited user has chosen a password."
    )

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "is_active",
            "is_staff",
            "is_superuser",
            "date_joined",
            "last_login",
            "has_usable_password",
        ]
        read_only_fields = fields

    def get_has_usable_password(self, user: User) -> bool:
        return user.has_usable_password()


class AdminUserInviteInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    username = serializers.CharField(
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        required=False,
        help_text="Derived from the email address when left out.",
    )
    first_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    is_staff = serializers.BooleanField(required=False, default=False)


class AdminUserUpdateInputSerializer(serializers.Serializer):
    is_active = serializers.BooleanField(required=False)
    is_staff = serializers.BooleanField(required=False)
