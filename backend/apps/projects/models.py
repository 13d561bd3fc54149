"""Projects, owned by a user or an organization, and their per-project roles."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.common.invitations import Invitation
from apps.common.models import TimeStampedModel
from apps.common.roles import ProjectRole


class Project(TimeStampedModel):
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="owned_projects",
    )
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="projects",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="ProjectMembership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(owner_user__isnull=False) & Q(organization__isnull=True))
                | (Q(owner_user__isnull=True) & Q(organization__isnull=False)),
                name="project_exactly_one_owner",
            ),
            models.UniqueConstraint(
                fields=["owner_user", "name"],
                condition=Q(owner_user__isnull=False),
                name="uniq_project_name_per_user",
            ),
            models.UniqueConstraint(
                fields=["organization", "name"],
                condition=Q(organization__isnull=False),
                name="uniq_project_name_per_org",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProjectMembership(TimeStampedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_memberships"
    )
    role = models.CharField(max_length=16, choices=ProjectRole.choices)

    class Meta:
        ordering = ["project", "user"]
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="uniq_project_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} as {self.role}"


class ProjectInvitation(Invitation):
    """A project role offered to an email address; the account that uses the address takes
    it up by accepting the emailed link (once, within 7 days)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=16, choices=ProjectRole.choices)

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.project} as {self.role}"
