"""Serializers for organizations and organization members."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from apps.accounts.scopes import has_staff_reach
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole
from apps.projects.serializers import UserSummarySerializer, UserWithinReachField

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MESSAGE = "Use lowercase letters, digits and single hyphens, e.g. acme-security."


class OrganizationRoleField(serializers.ChoiceField):
    """An organization role; documented as its own `OrganizationRoleEnum` schema component."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=OrganizationRole.choices, **kwargs)


class OrganizationRoleFieldSchema(OpenApiSerializerFieldExtension):
    """Projects also have a "role" field with other choices; without a named component the
    schema generator would call both enums "RoleEnum" and fall back to hashed names."""

    target_class = OrganizationRoleField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        component = ResolvedComponent(
            name="OrganizationRoleEnum",
            type=ResolvedComponent.SCHEMA,
            object="OrganizationRoleEnum",
            schema={
                "type": "string",
                "enum": list(OrganizationRole.values),
                "description": "owner: full control; admin: manage members and settings; "
                "member: read.",
            },
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref  # type: ignore[no-any-return]


def _slug_field(**kwargs: Any) -> serializers.RegexField:
    return serializers.RegexField(
        SLUG_PATTERN,
        max_length=150,
        error_messages={"invalid": SLUG_MESSAGE},
        **kwargs,
    )


class OrganizationOutputSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField(help_text="The caller's role in the organization.")
    member_count = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "require_mfa",
            "role",
            "member_count",
            "created_at",
            "updated_at",
        ]

    def get_role(self, organization: Organization) -> str | None:
        role = getattr(organization, "caller_role", None)
        if role is None and has_staff_reach(self.context["request"].user):
            role = OrganizationRole.OWNER
        if role is None:
            role = getattr(organization, "member_role", None)
        return str(role) if role else None

    def get_member_count(self, organization: Organization) -> int:
        count = getattr(organization, "member_count", None)
        return int(count) if count is not None else organization.memberships.count()


class OrganizationCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    slug = _slug_field(
        required=False, help_text="Derived from the name when left out; must be unique."
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")


class OrganizationUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    slug = _slug_field(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    require_mfa = serializers.BooleanField(
        required=False,
        help_text="Members without a second factor must enrol one at their next sign-in. "
        "Owners only, and only with a second factor of their own.",
    )


class OrganizationMemberOutputSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)
    role = OrganizationRoleField(read_only=True)

    class Meta:
        model = OrganizationMembership
        fields = ["id", "user", "role", "created_at", "updated_at"]
        read_only_fields = fields


class OrganizationMemberCreateSerializer(serializers.Serializer):
    user = UserWithinReachField(
        required=False,
        help_text=(
            "The id of a user who already shares a project or an organization with you "
            "(staff: any active user); give this or `email`."
        ),
    )
    email = serializers.EmailField(
        required=False,
        help_text=(
            "Invite this address instead of giving `user`: it gets a link, and the account "
            "that uses it joins on accepting. The answer is the same whether or not the "
            "address has an account."
        ),
    )
    role = OrganizationRoleField()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "user" not in attrs and not attrs.get("email"):
            raise serializers.ValidationError({"user": "Give a user id or an email."})
        return attrs


class OrganizationInvitationAcceptedSerializer(OrganizationMemberOutputSerializer):
    """The new membership, with the organization it belongs to."""

    class Meta(OrganizationMemberOutputSerializer.Meta):
        fields = [*OrganizationMemberOutputSerializer.Meta.fields, "organization"]
        read_only_fields = fields


class OrganizationMemberUpdateSerializer(serializers.Serializer):
    role = OrganizationRoleField()
