"""What a project watches: target assets and reusable groups of them."""

from django.conf import settings
from django.db import models

from apps.common.models import TimeStampedModel


class AssetType(models.TextChoices):
    GIT_REPOSITORY = "git_repository", "Git repository"
    CODEBASE_PATH = "codebase_path", "Local codebase path"
    URL = "url", "URL"
    CONTAINER_IMAGE = "container_image", "Container image"
    FILE_UPLOAD = "file_upload", "Uploaded archive"
    IP_RANGE = "ip_range", "IP address or CIDR range"
    DOMAIN = "domain", "Domain"


class TargetAsset(TimeStampedModel):
    """One thing to scan. `identifier` is the URL, path, image reference, CIDR or domain;
    `metadata` holds type-specific options (git branch/commit, include/exclude paths)."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="targets"
    )
    name = models.CharField(max_length=150)
    asset_type = models.CharField(max_length=32, choices=AssetType.choices)
    identifier = models.CharField(max_length=2048, blank=True)
    description = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    upload = models.FileField(upload_to="target_uploads/%Y/%m/%d/", null=True, blank=True)
    is_active = models.BooleanField(default=True)
    # The branch whose scans drive the findings' lifecycle; "" means the git branch in
    # `metadata`, else "main" (apps.targets.refs.target_default_branch).
    default_branch = models.CharField(max_length=255, blank=True)
    # Private repositories: "https_token" or "ssh_key", and the secret encrypted with a key
    # derived from settings (apps.targets.credentials); never returned by the API.
    credential_kind = models.CharField(max_length=16, blank=True)
    credential_encrypted = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_target_name"),
        ]
        indexes = [models.Index(fields=["project", "asset_type"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.asset_type})"


class TargetGroup(TimeStampedModel):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="target_groups"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    targets = models.ManyToManyField(TargetAsset, related_name="groups", blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_target_group_name"),
        ]

    def __str__(self) -> str:
        return self.name
