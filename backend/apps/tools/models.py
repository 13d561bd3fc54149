"""One row per tool adapter in code, kept in sync with the adapter registry."""

from django.db import models

from apps.common.models import TimeStampedModel


class ToolCategory(models.TextChoices):
    SAST = "sast", "Static analysis"
    SCA = "sca", "Dependency analysis"
    SECRETS = "secrets", "Secrets"
    IAC = "iac", "Infrastructure as code"
    IMAGE = "image", "Container image"
    DAST = "dast", "Dynamic analysis"
    TLS = "tls", "TLS"
    NETWORK = "network", "Network"
    IMPORTED = "imported", "Imported reports"


class ToolDefinition(TimeStampedModel):
    """What a tool is, whether this worker can run it, and the schema of its overrides.

    `enabled` is the admins' switch; `available` is what the worker found (binary present).
    """

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    category = models.CharField(max_length=16, choices=ToolCategory.choices)
    description = models.TextField(blank=True)
    homepage = models.URLField(blank=True)
    supported_asset_types = models.JSONField(default=list, blank=True)
    version = models.CharField(max_length=100, blank=True)
    available = models.BooleanField(default=False)
    unavailable_reason = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    default_config = models.JSONField(default=dict, blank=True)
    config_schema = models.JSONField(default=dict, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
