"""Serializers for projects and project members."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.common.ids import IdRelatedField
from apps.common.roles import ProjectRole
from apps.organizations.models import Organization
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import (
    project_role_for_user,
    project_role_from_annotations,
    user_within_reach,
)


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.SerializerMethodField()

    def get_full_name(self, user: Any) -> str:
        return str(user.get_full_name())


class ProjectOutputSerializer(serializers.ModelSerializer):
    owner_user = UserSummarySerializer(read_only=True, allow_null=True)
    organization = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField(help_text="The caller's effective role.")

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "owner_user",
            "organization",
            "role",
            "created_at",
            "updated_at",
        ]

    def get_organization(self, project: Project) -> dict[str, Any] | None:
        org = project.organization
        return {"id": org.pk, "name": org.name, "slug": org.slug} if org else None

    def get_role(self, project: Project) -> str | None:
        user = self.context["request"].user
        role = getattr(project, "caller_role", None)
        if role:
            return str(role)
        if hasattr(project, "direct_role"):
            return project_role_from_annotations(project=project, user=user)
        return project_role_for_user(project=project, user=user)


class ProjectCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    organization = IdRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True, default=None
    )


class ProjectUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    organization = IdRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="Move the project into this organization (you must be one of its owners or "
        "admins), or null to make it your personal project.",
    )


class ProjectMemberOutputSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = ProjectMembership
        fields = ["id", "user", "role", "created_at"]


USER_NOT_WITHIN_REACH = (
    "Give the id of someone who already shares a project or an organization with you, "
    "or invite them by email."
)


class UserWithinReachField(serializers.IntegerField):
    """A user id the caller may name: an active account they already see in a member list
    (apps.projects.selectors.user_within_reach). Anything else, existing or not, gets the same
    error, so an id never tells whether an account exists. Needs the request in the context."""

    default_error_messages = {"out_of_reach": USER_NOT_WITHIN_REACH}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        # After the integer checks (range included), so only a valid id is looked up.
        user_id = super().run_validation(data)
        if user_id is None:
            return None
        user = user_within_reach(user=self.context["request"].user, user_id=user_id)
        if user is None:
            self.fail("out_of_reach")
        return user


class ProjectMemberCreateSerializer(serializers.Serializer):
    """Add someone the caller already works with by id, or invite any address by email.

    Needs the request in its context: ids are resolved among the accounts the caller can
    already see in member lists, so an id never tells whether an account exists.
    """

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
            "Invite this address instead: it gets a link, and the account that uses it joins "
            "on accepting. The answer is the same whether or not the address has an account."
        ),
    )
    role = serializers.ChoiceField(choices=ProjectRole.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "user" not in attrs and not attrs.get("email"):
            raise serializers.ValidationError({"user": "Give a user id or an email."})
        return attrs


class ProjectInvitationAcceptedSerializer(ProjectMemberOutputSerializer):
    """The new membership, with the project it belongs to."""

    class Meta(ProjectMemberOutputSerializer.Meta):
        fields = [*ProjectMemberOutputSerializer.Meta.fields, "project"]
        read_only_fields = fields


class ProjectMemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectRole.choices)
