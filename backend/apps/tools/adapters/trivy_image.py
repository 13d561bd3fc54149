"""Trivy image scan: vulnerable OS and language packages and secrets in a container image."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import PreparedTarget, ToolCommand
from apps.tools.adapters.toolkit import require_image, validated_config
from apps.tools.adapters.trivy import COMMON_SCHEMA_PROPERTIES, TrivyReportParser


class TrivyImageAdapter(TrivyReportParser):
    """`trivy image` on a registry image reference (validated, passed after `--`;
    `--format json`; full mapping on `TrivyReportParser`).

    Field mapping, in short: vulnerabilities → `rule_id`/`cve` = `VulnerabilityID`, package
    name/installed/fixed versions, `Severity`, `CweIDs`; `image` = the scanned reference,
    `image_layer` = `Layer.DiffID`; OS packages have no `file_path`, language packages keep
    the in-image path; secrets → `RuleID`, Trivy's masked `Match`, layer.

    Fingerprint: vulnerabilities "<Results[].Type>:<package>:<version>:<vulnerability id>"
    (e.g. "debian:libc6:2.36-9+deb12u1:CVE-2023-4911"); secrets rule + file + Trivy's
    masked match (never the line number).

    `--exit-code 0`: any other exit code is a failed run.
    """

    tool_id: ClassVar[str] = "trivy_image"
    name: ClassVar[str] = "Trivy (container image)"
    category: ClassVar[str] = "image"
    description: ClassVar[str] = (
        "Scans a container image for vulnerable OS/language packages and embedded secrets."
    )
    homepage: ClassVar[str] = "https://trivy.dev/"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("container_image",)
    coverage_unit: ClassVar[str] = "images"
    default_config: ClassVar[Mapping[str, Any]] = {
        "scanners": ["vuln", "secret"],
        "ignore_unfixed": False,
        "skip_db_update": False,
        "timeout_minutes": 20,
        "image_source": "remote",
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **COMMON_SCHEMA_PROPERTIES,
            "image_source": {
                "type": "string",
                "enum": ["remote", "docker", "podman", "containerd"],
                "description": "Where Trivy reads the image from.",
            },
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        image = require_image(target)
        argv = [
            self.require_executable(),
            "image",
            *self.common_argv(cfg, output_path),
            "--image-src",
            cfg["image_source"],
            "--",
            image,
        ]
        return ToolCommand(argv=tuple(argv), output_path=output_path, output_written_by_tool=True)


trivy_image = TrivyImageAdapter()
