"""Tool presets and target kinds: named sets of tools, defined once for the web app and the CLI."""

from __future__ import annotations

from dataclasses import dataclass

from apps.targets.models import AssetType


@dataclass(frozen=True)
class TargetKind:
    """A family of asset types that the same tools scan (a user thinks "code", not
    "codebase_path or git_repository")."""

    id: str
    name: str
    asset_types: tuple[str, ...]


@dataclass(frozen=True)
class ToolPreset:
    """A set of tools (registry ids) that together cover one common need for one kind."""

    id: str
    name: str
    description: str
    target_kind: str
    tools: tuple[str, ...]


TARGET_KINDS: tuple[TargetKind, ...] = (
    TargetKind(
        "code",
        "Code",
        (AssetType.GIT_REPOSITORY, AssetType.CODEBASE_PATH, AssetType.FILE_UPLOAD),
    ),
    TargetKind("web", "Web", (AssetType.URL,)),
    TargetKind("image", "Container image", (AssetType.CONTAINER_IMAGE,)),
    TargetKind("host", "Host", (AssetType.DOMAIN, AssetType.IP_RANGE)),
)

PRESETS: tuple[ToolPreset, ...] = (
    ToolPreset(
        "code",
        "Code: SAST + secrets + IaC",
        "Static analysis for Python, JavaScript and shell, committed secrets, and "
        "Terraform/Kubernetes/Dockerfile misconfigurations.",
        "code",
        (
            "semgrep",
            "bandit",
            "eslint",
            "njsscan",
            "shellcheck",
            "gitleaks",
            "detect-secrets",
            "checkov",
            "hadolint",
        ),
    ),
    ToolPreset(
        "dependencies",
        "Dependencies",
        "Known vulnerabilities in the packages the code depends on (lock files and manifests).",
        "code",
        ("osv_scanner", "pip_audit", "npm_audit", "trivy_fs"),
    ),
    ToolPreset(
        "web-baseline",
        "Web baseline",
        "A passive ZAP baseline, Nuclei's templates and the TLS set-up of a running site.",
        "web",
        ("zap_baseline", "nuclei", "sslyze"),
    ),
    ToolPreset(
        "container-image",
        "Container image",
        "Vulnerable OS and language packages in an image.",
        "image",
        ("trivy_image", "grype"),
    ),
    ToolPreset(
        "host",
        "Host: ports and TLS",
        "Open ports and services, and the TLS set-up of a host name.",
        "host",
        ("nmap", "sslyze", "testssl"),
    ),
)
