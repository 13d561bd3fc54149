"""What single sign-on remembers: roles it granted (so it can take them back, and never
touches a role a person granted), and SAML assertions already used (replay refusal)."""

from django.conf import settings
from django.db import models

from apps.common.models import TimeStampedModel


class SsoRoleGrant(TimeStampedModel):
    """A membership role that exists because an identity provider's group said so.

    Exactly one of organization_membership / project_membership is set; the row goes with
    the membership. A role granted by hand has no row and is never changed by a sign-in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_role_grants"
    )
    provider_id = models.CharField(max_length=64)
    organization_membership = models.OneToOneField(
        "organizations.OrganizationMembership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sso_grant",
    )
    project_membership = models.OneToOneField(
        "projects.ProjectMembership",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="sso_grant",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(organization_membership__isnull=False, project_membership__isnull=True)
                    | models.Q(
                        organization_membership__isnull=True, project_membership__isnull=False
                    )
                ),
                name="sso_grant_exactly_one_membership",
            ),
        ]

    def __str__(self) -> str:
        return f"SSO role of {self.user_id} from {self.provider_id}"


class SamlAssertionUse(models.Model):
    """An assertion ID seen at the ACS, kept until its NotOnOrAfter: the same signed
    assertion posted again is refused (python3-saml checks signatures and times, not reuse)."""

    provider_id = models.CharField(max_length=64)
    assertion_id = models.CharField(max_length=256)
    not_on_or_after = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider_id", "assertion_id"], name="uniq_saml_assertion_use"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}:{self.assertion_id}"
