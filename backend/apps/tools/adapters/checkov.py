"""Checkov: misconfigurations in infrastructure-as-code (Terraform, Kubernetes, Dockerfiles…)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    relative_path,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    as_int,
    expect_kind,
    mapping,
    report_path,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.hadolint import is_dockerfile
from apps.tools.adapters.jsonstream import (
    json_kind,
    json_outline,
    stream_json_items,
    stream_outlined_items,
)

FRAMEWORKS: tuple[str, ...] = (
    "ansible",
    "argo_workflows",
    "arm",
    "azure_pipelines",
    "bicep",
    "bitbucket_pipelines",
    "circleci_pipelines",
    "cloudformation",
    "dockerfile",
    "github_actions",
    "gitlab_ci",
    "helm",
    "json",
    "kubernetes",
    "kustomize",
    "openapi",
    "secrets",
    "serverless",
    "terraform",
    "terraform_json",
    "yaml",
)
CHECK_ID_PATTERN = r"^CKV2?_[A-Z0-9_]+$"
SEVERITIES = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "INFO": "informational",
}
# Without a vendor API key Checkov reports no severity; these prefixes stand in for it.
PREFIX_SEVERITY: tuple[tuple[str, str], ...] = (
    ("CKV_SECRET_", "high"),
    ("CKV_DOCKER_", "low"),
    ("CKV2_DOCKER_", "low"),
    ("CKV_GHA_", "medium"),
    ("CKV_GLB_", "medium"),
    ("CKV_K8S_", "medium"),
    ("CKV_OPENAPI_", "medium"),
)
DEFAULT_SEVERITY = "medium"
# Files some Checkov framework reads (Terraform, CloudFormation/ARM/Kubernetes/Helm/CI YAML and
# JSON, Bicep, Dockerfiles).
IAC_SUFFIXES = frozenset(
    {".tf", ".hcl", ".tfvars", ".yaml", ".yml", ".json", ".template", ".bicep", ".tpl"}
)


SOURCE_URL = "https://github.com/bridgecrewio/checkov/blob/main/"
POLICY_INDEX_URL = "https://www.checkov.io/5.Policy%20Index/"
# Checkov's policy index has one page per framework, named as the report's check_type.
POLICY_INDEX_PAGES = frozenset(
    {
        "ansible", "argo_workflows", "arm", "azure_pipelines", "bicep", "bitbucket_pipelines",
        "circleci_pipelines", "cloudformation", "dockerfile", "github_actions", "gitlab_ci",
        "kubernetes", "openapi", "secrets", "serverless", "terraform",
    }
)  # fmt: skip
_CHECK_CLASS = re.compile(r"checkov(\.[A-Za-z_][A-Za-z0-9_]*)+")


def checkov_doc_urls(check_class: str, check_type: str) -> tuple[str, ...]:
    """Where a check is documented without Checkov's vendor API (which `guideline` needs):
    the check's own source, which states what it tests and what passes (a Python check's
    `check_class` is its module), and the framework's page of Checkov's policy index.
    Graph checks (YAML policies) report a shared class, so only the index page is given."""
    urls: list[str] = []
    if _CHECK_CLASS.fullmatch(check_class) and not check_class.startswith("checkov.common."):
        urls.append(f"{SOURCE_URL}{check_class.replace('.', '/')}.py")
    page = check_type if check_type in POLICY_INDEX_PAGES else "all"
    urls.append(f"{POLICY_INDEX_URL}{page}.html")
    return tuple(urls)


def is_iac_file(path: Path) -> bool:
    return path.suffix.lower() in IAC_SUFFIXES or is_dockerfile(path)


def checkov_severity(check_id: str, reported: Any) -> str:
    if isinstance(reported, str) and reported.upper() in SEVERITIES:
        return SEVERITIES[reported.upper()]
    for prefix, severity in PREFIX_SEVERITY:
        if check_id.startswith(prefix):
            return severity
    return DEFAULT_SEVERITY


class CheckovAdapter(BaseAdapter):
    """Checkov (`checkov --directory=<tree> -o json --skip-download`), with
    `BC_SKIP_MAPPING=TRUE` so it never calls its vendor's API.

    Run without `--quiet`, so the report names the files Checkov could not parse
    (`results.parsing_errors`): they make the run partial. Checkov does not report how many
    files it read, so coverage's `analysed` stays unknown.

    The directory is passed as `--directory=<path>` and the process runs outside the tree, so
    a scanned repository's `.checkov.yaml` (which could load external Python checks) is never
    read. Secrets and package scanning are skipped by default: detect-secrets and the SCA
    tools cover them.

    Output is one report object, a list of them (one per framework), or a bare summary when
    nothing was scanned. Mapping of each `results.failed_checks[]` entry:
    - rule_id ← `check_id`; title ← `check_name`
    - severity ← `severity` when Checkov reports one, else by check id prefix
      (PREFIX_SEVERITY; default medium)
    - file_path ← `file_abs_path` (or `file_path`) relative to the tree; line_start/line_end
      ← `file_line_range`
    - description ← check name, resource and evaluated keys; references ← `guideline` (only
      with the vendor API, never here), the check's source (from `check_class`) and its
      framework's policy index page (checkov_doc_urls)
    - snippet ← `code_block` lines when present
    - evidence ← `resource`, `check_type`, `check_class`
    - fingerprint_hint ← check type, file, `resource` and check id, so a finding survives the
      resource moving within its file.

    Exit codes: 0 (all checks passed) and 1 (some checks failed) are success.
    """

    tool_id: ClassVar[str] = "checkov"
    name: ClassVar[str] = "Checkov"
    category: ClassVar[str] = "iac"
    description: ClassVar[str] = (
        "Finds misconfigurations in Terraform, CloudFormation, Kubernetes, Helm, Dockerfiles "
        "and CI pipelines."
    )
    homepage: ClassVar[str] = "https://www.checkov.io"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "checkov"
    input_kind: ClassVar[str] = "infrastructure-as-code files (Terraform, YAML/JSON, Dockerfiles)"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {
        "frameworks": [],
        "skip_frameworks": ["secrets"],
        "checks": [],
        "skip_checks": [],
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "frameworks": {
                "type": "array",
                "description": "Only these frameworks (empty: all).",
                "items": {"enum": list(FRAMEWORKS)},
                "uniqueItems": True,
            },
            "skip_frameworks": {
                "type": "array",
                "description": "Frameworks to skip.",
                "items": {"enum": list(FRAMEWORKS)},
                "uniqueItems": True,
            },
            "checks": {
                "type": "array",
                "description": "Only these check ids (empty: all).",
                "items": {"type": "string", "pattern": CHECK_ID_PATTERN, "maxLength": 64},
                "uniqueItems": True,
                "maxItems": 500,
            },
            "skip_checks": {
                "type": "array",
                "description": "Check ids to skip.",
                "items": {"type": "string", "pattern": CHECK_ID_PATTERN, "maxLength": 64},
                "uniqueItems": True,
                "maxItems": 500,
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        argv = [
            self.require_executable(),
            f"--directory={root}",
            "--output=json",
            "--skip-download",
            "--compact",
        ]
        frameworks = self._names(cfg["frameworks"], FRAMEWORKS, "framework")
        skipped = [
            "sca_package",
            "sca_image",
            *self._names(cfg["skip_frameworks"], FRAMEWORKS, "framework"),
        ]
        if frameworks:
            argv.append(f"--framework={','.join(frameworks)}")
        argv.append(f"--skip-framework={','.join(dict.fromkeys(skipped))}")
        checks = self._check_ids(cfg["checks"])
        if checks:
            argv.append(f"--check={','.join(checks)}")
        skip_checks = self._check_ids(cfg["skip_checks"])
        if skip_checks:
            argv.append(f"--skip-check={','.join(skip_checks)}")
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=output_path.parent,
            env={"BC_SKIP_MAPPING": "TRUE"},
        )

    @staticmethod
    def _names(values: Any, allowed: tuple[str, ...], what: str) -> list[str]:
        names = list(values or [])
        for name in names:
            if name not in allowed:
                raise ValueError(f"unknown Checkov {what} {name!r}")
        return names

    @staticmethod
    def _check_ids(values: Any) -> list[str]:
        ids = list(values or [])
        for check_id in ids:
            if not isinstance(check_id, str) or not re.fullmatch(CHECK_ID_PATTERN, check_id):
                raise ValueError(f"invalid Checkov check id {check_id!r}")
        return ids

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        return tree_inputs(target, is_iac_file)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        container = "item." if json_kind(output_path, self.name) == "list" else ""
        unparsed = stream_json_items(
            output_path, self.name, f"{container}results.parsing_errors.item", expect_keys=None
        )
        missed = [(report_path(path, target.path), "could not be parsed") for path in unparsed]
        return coverage_of("files", None, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # One report object, or a list of them: the first byte decides. Pass 1 checks every
        # report and counts its failed checks; pass 2 streams the checks and matches each to
        # its report (and check_type) by those counts.
        container = "item" if json_kind(output_path, self.name) == "list" else ""
        failed = f"{container}.results.failed_checks".lstrip(".")
        outline = json_outline(
            output_path,
            self.name,
            container=container,
            array=failed,
            fields=("check_type",),
            kinds=("results", "results.failed_checks"),
        )
        for report in outline.containers:
            expect_kind(report.kind, dict, tool=self.name, what="each report")
            if "results" not in report.keys:
                if "summary" in report.keys or "passed" in report.keys or not report.keys:
                    continue  # nothing of this kind was scanned
                raise ToolOutputError(f"{self.name} output has a report without 'results'.")
            expect_kind(report.kinds.get("results"), dict, tool=self.name, what="'results'")
            if report.kinds.get("results.failed_checks", "NoneType") != "NoneType":
                expect_kind(
                    report.kinds["results.failed_checks"],
                    list,
                    tool=self.name,
                    what="'failed_checks'",
                )
            if report.bad_item:
                expect_kind(report.bad_item, dict, tool=self.name, what="each failed check")
        for index, check in stream_outlined_items(output_path, self.name, outline, failed):
            check_type = str(outline.containers[index].fields.get("check_type") or "")
            yield self._finding(check, check_type, target.path)

    def _finding(
        self, check: Mapping[str, Any], check_type: str, root: Path | None
    ) -> NormalizedFinding:
        check_id = str(check.get("check_id") or "unknown")
        check_name = str(check.get("check_name") or check_id)
        absolute = check.get("file_abs_path")
        if isinstance(absolute, str) and absolute:
            file_path = relative_path(absolute, root)
        else:
            file_path = str(check.get("file_path") or "").lstrip("/")
        lines = [n for n in check.get("file_line_range") or [] if as_int(n)]
        line_start = as_int(lines[0]) if lines else None
        line_end = as_int(lines[-1]) if lines else line_start
        resource = str(check.get("resource") or "")
        result = mapping(check.get("check_result"))
        keys = [str(k) for k in result.get("evaluated_keys") or []]
        description = check_name
        if resource:
            description += f"\nResource: {resource}"
        if keys:
            description += f"\nEvaluated keys: {', '.join(keys)}"
        code_block = check.get("code_block")
        snippet = ""
        if isinstance(code_block, list):
            snippet = "".join(
                str(item[1]) for item in code_block if isinstance(item, list) and len(item) == 2
            ).rstrip("\n")[:4000]
        guideline = check.get("guideline")
        check_class = str(check.get("check_class") or "")
        references = checkov_doc_urls(check_class, check_type)
        if isinstance(guideline, str) and guideline.startswith(("https://", "http://")):
            references = (guideline, *references)
        return NormalizedFinding(
            title=check_name[:300],
            severity=checkov_severity(check_id, check.get("severity")),
            rule_id=check_id,
            description=description,
            confidence="high",
            file_path=file_path,
            line_start=line_start,
            line_end=line_end,
            snippet=snippet,
            references=references,
            evidence={
                "resource": resource,
                "check_type": check_type,
                "check_class": check_class,
            },
            fingerprint_hint=(
                f"{check_type}:{file_path}:{resource}:{check_id}" if resource else ""
            ),
        )


checkov = CheckovAdapter()
