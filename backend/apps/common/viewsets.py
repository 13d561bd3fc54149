"""Base views for objects that live inside a project.

`ProjectScopedViewSet` resolves the project from the URL (`project_pk`) through the role
selector before anything else runs: no role → 404, too low a role for a write → 403.
Reads need auditor; writes need `write_role` (member by default).
"""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, viewsets
from rest_framework.request import Request

from apps.common.roles import ProjectRole
from apps.projects.models import Project
from apps.projects.selectors import project_get_for_user

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class ProjectScopedViewSet(viewsets.GenericViewSet):
    write_role: str = ProjectRole.MEMBER
    project: Project

    def required_role(self, request: Request) -> str:
        return ProjectRole.AUDITOR if request.method in SAFE_METHODS else self.write_role

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        if getattr(self, "swagger_fake_view", False):
            return
        self.project = project_get_for_user(
            project_id=kwargs.get("project_pk"),
            user=request.user,
            min_role=self.required_role(request),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if hasattr(self, "project"):
            context["project"] = self.project
        return context


class ProjectScopedReadViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ProjectScopedViewSet
):
    """A project-scoped viewset with DRF's paginated list and detail read; subclasses add
    their writes through services."""
