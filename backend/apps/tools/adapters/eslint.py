"""ESLint with eslint-plugin-security, reported as SARIF."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
)
from apps.tools.adapters.common import (
    CODE_ASSET_TYPES,
    mapping,
    report_path,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.jsonstream import stream_json_items
from apps.tools.adapters.sarif import parse_sarif

CONFIG_FILE = Path(__file__).resolve().with_name("eslint_config") / "eslint.config.mjs"
PLUGIN = "eslint-plugin-security"
FORMATTER = Path("@microsoft") / "eslint-formatter-sarif" / "sarif.js"

# The rules SecuLite's config turns on, with the CWE each one is about.
RULE_CWE: dict[str, int] = {
    "no-eval": 95,
    "no-implied-eval": 95,
    "no-new-func": 95,
    "no-script-url": 79,
    "security/detect-bidi-characters": 451,
    "security/detect-buffer-noassert": 125,
    "security/detect-child-process": 78,
    "security/detect-disable-mustache-escape": 79,
    "security/detect-eval-with-expression": 95,
    "security/detect-new-buffer": 770,
    "security/detect-no-csrf-before-method-override": 352,
    "security/detect-non-literal-fs-filename": 22,
    "security/detect-non-literal-regexp": 1333,
    "security/detect-non-literal-require": 829,
    "security/detect-object-injection": 915,
    "security/detect-possible-timing-attacks": 208,
    "security/detect-pseudoRandomBytes": 338,
    "security/detect-unsafe-regex": 1333,
}
CORE_RULE_DOCS = "https://eslint.org/docs/latest/rules/"
# Plugin prefix → where the plugin documents each rule (`<rule>.md`).
PLUGIN_RULE_DOCS = {
    "security": "https://github.com/eslint-community/eslint-plugin-security/blob/main/docs/rules/",
}


def eslint_rule_doc_url(rule_id: str) -> str:
    """The documentation page of an ESLint rule: eslint.org for core rules, the plugin's
    docs for a known plugin's; "" for a plugin whose docs are not known."""
    if "/" not in rule_id:
        return f"{CORE_RULE_DOCS}{rule_id}" if rule_id else ""
    plugin, _, name = rule_id.partition("/")
    base = PLUGIN_RULE_DOCS.get(plugin)
    return f"{base}{name}.md" if base and name else ""


# The files SecuLite's ESLint config lints, and the directories it ignores.
JS_SUFFIXES = frozenset({".js", ".cjs", ".mjs", ".jsx"})
IGNORED_DIRS = frozenset({"dist", "vendor"})


def is_linted(path: Path) -> bool:
    return (
        path.suffix.lower() in JS_SUFFIXES
        and not path.name.endswith(".min.js")
        and not IGNORED_DIRS.intersection(path.parts)
    )


class EslintAdapter(BaseAdapter):
    """ESLint 9 with eslint-plugin-security, using SecuLite's flat config
    (`eslint_config/eslint.config.mjs`) and the SARIF formatter, run from the tree root on
    `-- .`.

    The scanned project's own ESLint config is never loaded (`--config` is ours), inline
    `eslint-disable` comments are ignored, and the plugin and formatter are loaded by
    absolute path from the isolated install, never resolved from the scanned tree.

    Findings come from the generic SARIF parser (`sarif.parse_sarif`): rule_id ← `ruleId`
    (e.g. security/detect-child-process), severity ← level (ESLint error→high,
    warning→medium), title ← rule description, description ← the ESLint message, file/lines
    ← the SARIF location, references ← the rule's docs (`helpUri`, else eslint_rule_doc_url).
    ESLint's rules carry no CWE, so cwe is filled from RULE_CWE. Files ESLint cannot parse
    are SARIF notifications, not findings. The SARIF carries no snippet: the findings
    service reads the code around each location from the tree.
    fingerprint_hint: none (ESLint gives no fingerprints); the service uses the location.

    Exit codes: 0 (no error-level problems) and 1 (error-level problems) are success; 2 is a
    configuration or internal error.

    Coverage ← the SARIF run's `artifacts` (every file ESLint linted), less the files named by
    an error-level tool notification (a parsing error: ESLint skipped that file), which make
    the run partial.
    """

    tool_id: ClassVar[str] = "eslint"
    name: ClassVar[str] = "ESLint (security)"
    category: ClassVar[str] = "sast"
    description: ClassVar[str] = (
        "Finds dangerous JavaScript patterns (eval, child_process, unsafe regular "
        "expressions, non-literal file names) with eslint-plugin-security."
    )
    homepage: ClassVar[str] = "https://github.com/eslint-community/eslint-plugin-security"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "eslint"
    input_kind: ClassVar[str] = "JavaScript files (.js, .cjs, .mjs, .jsx)"
    success_exit_codes: ClassVar[tuple[int, ...]] = (0, 1)
    default_config: ClassVar[Mapping[str, Any]] = {"disabled_rules": []}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "disabled_rules": {
                "type": "array",
                "description": "Rules of SecuLite's ESLint config to turn off.",
                "items": {"enum": sorted(RULE_CWE)},
                "uniqueItems": True,
            },
        },
        "additionalProperties": False,
    }

    def node_modules(self) -> Path | None:
        """The node_modules directory ESLint was installed into (…/node_modules/eslint/bin)."""
        exe = self.executable()
        if exe is None:
            return None
        resolved = Path(os.path.realpath(exe))
        modules = resolved.parents[2] if len(resolved.parents) > 2 else None
        return modules if modules is not None and modules.name == "node_modules" else None

    def unavailable_reason(self) -> str:
        reason = super().unavailable_reason()
        if reason:
            return reason
        modules = self.node_modules()
        if modules is None:
            return "ESLint is not inside a node_modules directory; run scripts/install-scanners.sh."
        for needed in (Path(PLUGIN) / "package.json", FORMATTER):
            if not (modules / needed).is_file():
                return f"{needed.parts[0]} is not installed beside ESLint in {modules}."
        return ""

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        exe = self.require_executable()
        modules = self.node_modules()
        reason = self.unavailable_reason()
        if modules is None or reason:
            raise ValueError(reason or "ESLint's node_modules directory was not found.")
        argv = [
            exe,
            "--config",
            str(CONFIG_FILE),
            "--format",
            str(modules / FORMATTER),
            "--no-error-on-unmatched-pattern",
        ]
        disabled = list(cfg["disabled_rules"])
        for rule in disabled:
            if rule not in RULE_CWE:
                raise ValueError(f"unknown ESLint rule {rule!r}")
        if disabled:
            argv += ["--rule", json.dumps(dict.fromkeys(disabled, "off"))]
        argv += ["--", "."]
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=root,
            env={"SECULITE_ESLINT_NODE_MODULES": str(modules)},
        )

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        root = target.path
        return tree_inputs(target, lambda path: is_linted(path.relative_to(root) if root else path))

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        root = target.path
        linted = {
            report_path(mapping(mapping(artifact).get("location")).get("uri"), root)
            for artifact in stream_json_items(
                output_path, self.name, "runs.item.artifacts.item", expect_keys=("runs",)
            )
        }
        missed: list[tuple[str, str]] = []
        for key in ("toolConfigurationNotifications", "toolExecutionNotifications"):
            for note in stream_json_items(
                output_path, self.name, f"runs.item.invocations.item.{key}.item", expect_keys=None
            ):
                note = mapping(note)
                if note.get("level") != "error":
                    continue
                reason = str(mapping(note.get("message")).get("text") or "error")[:120]
                for location in note.get("locations") or []:
                    physical = mapping(mapping(location).get("physicalLocation"))
                    uri = mapping(physical.get("artifactLocation")).get("uri")
                    if uri:
                        missed.append((report_path(uri, root), reason))
        analysed = len(linted - {path for path, _ in missed})
        return coverage_of("files", analysed, missed, tool=self.name)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        for finding in parse_sarif(output_path, target.path, self.name):
            if finding.cwe is None and finding.rule_id in RULE_CWE:
                finding = dataclasses.replace(finding, cwe=RULE_CWE[finding.rule_id])
            if not finding.references and (doc := eslint_rule_doc_url(finding.rule_id)):
                finding = dataclasses.replace(finding, references=(doc,))
            yield finding


eslint = EslintAdapter()
