"""Serializers for projects and project members."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from apps.common.ids import IdRelatedField
from apps.common.roles import ProjectRole
from apps.organizations.models import Organization
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import project_role_for_user, project_role_from_annotations


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


class ProjectMemberOutputSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = ProjectMembership
        fields = ["id", "user", "role", "created_at"]


class ProjectMemberCreateSerializer(serializers.Serializer):
    user = IdRelatedField(queryset=get_user_model().objects.filter(is_active=True), required=False)
    email = serializers.EmailField(required=False)
    role = serializers.ChoiceField(choices=ProjectRole.choices)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "user" not in attrs:
            email = attrs.get("email")
            if not email:
                raise serializers.ValidationError({"user": "Give a user id or an email."})
            user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
            if user is None:
                raise serializers.ValidationError({"email": "No active user has this email."})
            attrs["user"] = user
        return attrs


class ProjectMemberUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=ProjectRole.choices)
