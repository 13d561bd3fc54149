"""Grype: vulnerable packages in a container image or a source tree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
)
from apps.tools.adapters.toolkit import (
    UnavailableInThisWorkerMixin,
    dependency_hint,
    map_severity,
    references,
    require_image,
    require_tree,
    stream_json_items,
    text_list,
    validated_config,
)

SEVERITIES = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
    "negligible": "informational",
    "unknown": "unknown",
}


class GrypeAdapter(UnavailableInThisWorkerMixin, BaseAdapter):
    """Grype JSON (`-o json`) → one finding per `matches[]` entry, streamed with ijson.

    Field mapping: `vulnerability.id` → `rule_id`; `cve` = that id when it is a CVE, else the
    first CVE among `relatedVulnerabilities[].id`, else the GHSA/OSV id; `vulnerability.
    severity` Critical/High/Medium/Low/Negligible/Unknown → critical/high/medium/low/
    informational/unknown; `description`; `fix.versions[0]` → `fixed_version` (`fix.state`
    in evidence); `artifact.name`/`version` → package fields; `artifact.locations[0].path`
    → `file_path` (relative to the tree for `dir:` scans) and `layerID` → `image_layer`;
    `urls` + `dataSource` → `references`; CVSS, PURL and matcher → evidence.

    Fingerprint: "<artifact.type>:<package>:<version>:<vulnerability id>".

    Sources are always explicit (`dir:<absolute path>` or `registry:<validated reference>`),
    so a target can never pick another grype source scheme. Exit code 0 is success (no
    `--fail-on`).
    """

    tool_id: ClassVar[str] = "grype"
    needs_network: ClassVar[bool] = True
    keeps_cache: ClassVar[bool] = True
    name: ClassVar[str] = "Grype"
    category: ClassVar[str] = "sca"
    description: ClassVar[str] = (
        "Matches the packages of a container image or source tree against vulnerability feeds."
    )
    homepage: ClassVar[str] = "https://github.com/anchore/grype"
    supported_asset_types: ClassVar[tuple[str, ...]] = (
        "container_image",
        "git_repository",
        "codebase_path",
        "file_upload",
    )
    binary: ClassVar[str] = "grype"
    default_config: ClassVar[Mapping[str, Any]] = {
        "only_fixed": False,
        "by_cve": False,
        "image_source": "registry",
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "only_fixed": {"type": "boolean", "description": "Only vulnerabilities with a fix."},
            "by_cve": {"type": "boolean", "description": "Report CVE ids instead of GHSA ids."},
            "image_source": {"type": "string", "enum": ["registry", "docker", "podman"]},
        },
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        if target.asset_type == "container_image" or (target.image and target.path is None):
            source = f"{cfg['image_source']}:{require_image(target)}"
            cwd = None
        else:
            root = require_tree(target)
            # From the output dir: a .grype.yaml in the tree is never read.
            source, cwd = f"dir:{root}", output_path.parent
        argv = [self.require_executable(), "--output", "json", "--file", str(output_path), "-q"]
        if cfg["only_fixed"]:
            argv.append("--only-fixed")
        if cfg["by_cve"]:
            argv.append("--by-cve")
        argv += ["--", source]
        return ToolCommand(
            argv=tuple(argv), output_path=output_path, cwd=cwd, output_written_by_tool=True
        )

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for match in stream_json_items(
            output_path, "grype", "matches.item", expect_keys=("matches", "source", "descriptor")
        ):
            if not isinstance(match, dict) or not isinstance(match.get("vulnerability"), dict):
                raise ToolOutputError("grype report: a match has no vulnerability object")
            yield self._finding(match, target)

    def _finding(self, match: Mapping[str, Any], target: PreparedTarget) -> NormalizedFinding:
        vuln = match["vulnerability"]
        artifact = match.get("artifact") or {}
        vuln_id = str(vuln.get("id") or "")
        if not vuln_id:
            raise ToolOutputError("grype report: a vulnerability has no id")
        related = [str(r.get("id")) for r in match.get("relatedVulnerabilities") or [] if r]
        cve = next((i for i in [vuln_id, *related] if i.upper().startswith("CVE-")), vuln_id)
        name, version = str(artifact.get("name") or ""), str(artifact.get("version") or "")
        fix = vuln.get("fix") or {}
        fixes = text_list(fix.get("versions"))
        locations = artifact.get("locations") or [{}]
        location = locations[0] if isinstance(locations[0], dict) else {}
        path = str(location.get("path") or "")
        if target.path is not None and not target.image:
            path = path.lstrip("/")
        description = str(vuln.get("description") or "")
        if not description:
            description = next(
                (
                    str(r.get("description"))
                    for r in match.get("relatedVulnerabilities") or []
                    if r.get("description")
                ),
                "",
            )
        details = match.get("matchDetails") or [{}]
        return NormalizedFinding(
            title=f"{vuln_id} in {name} {version}",
            severity=map_severity(vuln.get("severity"), SEVERITIES),
            rule_id=vuln_id,
            description=description,
            confidence="high",
            cve=cve,
            file_path=path,
            package_name=name,
            package_version=version,
            fixed_version=fixes[0] if fixes else "",
            image=target.image,
            image_layer=str(location.get("layerID") or ""),
            remediation=f"Upgrade {name} to {' or '.join(fixes)}." if fixes else "No fix yet.",
            references=references(vuln.get("dataSource"), vuln.get("urls")),
            evidence={
                "fix_state": fix.get("state") or "",
                "purl": artifact.get("purl") or "",
                "type": artifact.get("type") or "",
                "related": related,
                "cvss": vuln.get("cvss") or [],
                "matcher": (details[0] or {}).get("matcher", "") if details else "",
            },
            fingerprint_hint=dependency_hint(
                str(artifact.get("type") or "unknown"), name, version, vuln_id
            ),
        )


grype = GrypeAdapter()
