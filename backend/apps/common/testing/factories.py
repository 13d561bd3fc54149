"""factory_boy factories shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from apps.common.roles import ProjectRole
from apps.findings.models import SEVERITY_RANK, Finding, FindingOccurrence, FindingStatus, Severity
from apps.findings.sightings import sighting_take
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole
from apps.projects.models import Project, ProjectMembership
from apps.scans.models import (
    Scan,
    ScanConfiguration,
    ScanConfigurationTool,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
)
from apps.targets.models import AssetType, TargetAsset, TargetGroup
from apps.tools.models import ToolCategory, ToolDefinition

DEFAULT_PASSWORD = "correct-horse-battery-staple"  # noqa: S105 - test-only password


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()  # type: ignore[attr-defined]


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class OrganizationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganizationMembership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganizationRole.MEMBER


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    owner_user = factory.SubFactory(UserFactory)


class ProjectMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectMembership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = ProjectRole.MEMBER


class TargetAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetAsset

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"target-{n}")
    asset_type = AssetType.URL
    identifier = factory.Sequence(lambda n: f"https://app{n}.example.com/")


class TargetGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TargetGroup

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"group-{n}")


class ToolDefinitionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolDefinition
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"tool-{n}")
    name = factory.LazyAttribute(lambda t: t.slug.title())
    category = ToolCategory.SAST
    supported_asset_types = [AssetType.GIT_REPOSITORY, AssetType.CODEBASE_PATH]
    available = True
    config_schema = {
        "type": "object",
        "properties": {
            "severity_threshold": {"type": "string", "enum": ["low", "medium", "high"]},
            "extra_args_allowed": {"type": "boolean"},
        },
        "additionalProperties": False,
    }


class ScanConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanConfiguration

    project = factory.SubFactory(ProjectFactory)
    name = factory.Sequence(lambda n: f"config-{n}")


class ScanConfigurationToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanConfigurationTool

    configuration = factory.SubFactory(ScanConfigurationFactory)
    tool = factory.SubFactory(ToolDefinitionFactory)


class ScanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scan

    project = factory.SubFactory(ProjectFactory)
    configuration = factory.SubFactory(
        ScanConfigurationFactory, project=factory.SelfAttribute("..project")
    )
    trigger = ScanTrigger.MANUAL
    status = ScanStatus.COMPLETED


class ScanToolResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScanToolResult

    scan = factory.SubFactory(ScanFactory)
    tool = factory.SubFactory(ToolDefinitionFactory)


class FindingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Finding

    project = factory.SubFactory(ProjectFactory)
    fingerprint = factory.Sequence(lambda n: f"{n:064x}")
    title = factory.Sequence(lambda n: f"Finding {n}")
    severity = Severity.HIGH
    # As ingest writes it: the rank follows the severity.
    severity_rank = factory.LazyAttribute(lambda finding: SEVERITY_RANK[finding.severity])
    status = FindingStatus.NEW
    file_path = "app/views.py"
    line_start = 10


def occurrence_create(
    *, finding: Finding, tool_result: ScanToolResult, **location: Any
) -> FindingOccurrence:
    """A one-result sighting range: `tool_result` saw `finding` (at `location`), recorded as
    the ingest records it (the result takes its number in its stream first)."""
    sighting = sighting_take(tool_result=tool_result, project_id=finding.project_id)
    return FindingOccurrence.objects.create(
        finding=finding,
        tool_result=tool_result,
        scan_id=tool_result.scan_id,
        stream_id=sighting.stream_id,
        first_seq=sighting.seq,
        last_seq=sighting.seq,
        last_tool_result=tool_result,
        last_scan_id=tool_result.scan_id,
        last_seen_at=timezone.now(),
        **location,
    )
