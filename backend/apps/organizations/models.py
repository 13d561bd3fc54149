"""Organizations group users; a project may be owned by one."""

from django.conf import settings
from django.db import models

from apps.common.invitations import Invitation
from apps.common.models import TimeStampedModel


class OrganizationRole(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class Organization(TimeStampedModel):
    name = models.CharField(max_length=150)
    slug = models.SlugField(max_length=150, unique=True)
    description = models.TextField(blank=True)
    # Members without a second factor must enrol one before they can sign in (owners set it).
    require_mfa = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members: models.ManyToManyField = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="OrganizationMembership",
        related_name="organizations",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OrganizationMembership(TimeStampedModel):
    """Organization owners and admins act as owners of the organization's projects;
    plain members read them (auditor) unless a project role gives more."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organization_memberships"
    )
    role = models.CharField(
        max_length=16, choices=OrganizationRole.choices, default=OrganizationRole.MEMBER
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="uniq_org_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} as {self.role}"


class OrganizationInvitation(Invitation):
    """An invitation emailed to an address; it becomes a membership when that address's
    account accepts it. Only a SHA-256 of the link's secret is stored, and it works once."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=16, choices=OrganizationRole.choices)

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.organization} as {self.role}"
