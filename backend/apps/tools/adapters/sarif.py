"""Generic SARIF 2.1.0 parser, shared by SARIF-producing adapters and by report uploads.

Field mapping (per `runs[].results[]`):

- rule_id: `ruleId`, else `rule.id`, else the rule at `rule.index`/`ruleIndex`, else the tool
  name. The rule object is looked up in `tool.driver.rules` and `tool.extensions[].rules`.
- severity: a numeric `security-severity` (result properties, then rule properties) as CVSS:
  ≥9 critical, ≥7 high, ≥4 medium, >0 low, 0 informational. Otherwise the `level` (result,
  then rule `defaultConfiguration.level`, SARIF default "warning"): error→high,
  warning→medium, note→low, none→informational.
- title: rule `shortDescription`, else rule `name`, else the message's first sentence.
  description: the message text (placeholders `{0}` filled from `arguments`);
  remediation: rule `help.text`; references: rule `helpUri`.
- file_path: first location's `physicalLocation.artifactLocation` (`uri`, or the artifact at
  `index`), resolved against `originalUriBaseIds[uriBaseId]`, `file://` and %-escapes
  decoded, then made relative to the scanned root. line_start/line_end/snippet: its `region`
  (`startLine`, `endLine` defaulting to `startLine`, `snippet.text`).
- cwe: first `CWE-79` / `external/cwe/cwe-079` style tag or `cwe` property on the result or
  rule, else a CWE taxon in the rule's `relationships`.
- confidence: rule/result `precision` or `confidence` property.
- fingerprint_hint: `fingerprints`, else `partialFingerprints`, as sorted `key=value` pairs
  (placeholder values such as "requires login" are ignored).

Results whose `kind` is `pass` or `notApplicable`, and results suppressed in the source with
an accepted (or unstated) status, are not findings and are skipped.

Memory: the log is streamed in two passes (`jsonstream.json_outline`, then the results one at
a time in ijson's C backend), so a large log is never held whole; runs are matched to their
results by position, whatever order a writer puts `tool` and `results` in.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlsplit

from apps.tools.adapters.base import NormalizedFinding, ToolOutputError, relative_path
from apps.tools.adapters.common import (
    as_int,
    confidence_of,
    expect_kind,
    first_sentence,
    severity_from_score,
)
from apps.tools.adapters.jsonstream import json_outline, stream_outlined_items

LEVEL_SEVERITY = {"error": "high", "warning": "medium", "note": "low", "none": "informational"}
SKIPPED_KINDS = frozenset({"pass", "notApplicable"})
PLACEHOLDER_FINGERPRINTS = frozenset({"", "requires login"})
_CWE_RE = re.compile(r"cwe[-_/:\s]*0*(\d+)", re.IGNORECASE)
_PLACEHOLDER_RE = re.compile(r"\{(\d+)\}")
_RESULTS = "runs.item.results"
_CHUNK = 1024 * 1024


def parse_sarif(
    source: Path | str | IO[bytes] | IO[str],
    root: Path | None,
    tool_fallback: str,
) -> Iterator[NormalizedFinding]:
    """Findings from a SARIF 2.1.0 log given as a path or an open stream.

    `root` is the scanned tree, so absolute and `file://` locations become relative;
    `tool_fallback` names the tool when a run does not (e.g. in an uploaded report). A stream
    is first copied to a temporary file in chunks, since the log is read twice.
    """
    if isinstance(source, (str, Path)):
        yield from _parse_file(Path(source), root, tool_fallback)
        return
    with tempfile.NamedTemporaryFile(prefix="sarif-", suffix=".json") as spool:
        while chunk := source.read(_CHUNK):
            spool.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        spool.flush()
        yield from _parse_file(Path(spool.name), root, tool_fallback)


def _parse_file(path: Path, root: Path | None, tool: str) -> Iterator[NormalizedFinding]:
    # Pass 1 validates the log and collects each run's lookups (small) and result count, so a
    # malformed log fails before any finding is yielded; pass 2 streams the results in C.
    outline = json_outline(
        path,
        tool,
        container="runs.item",
        array=_RESULTS,
        fields=("tool", "artifacts", "originalUriBaseIds"),
        kinds=("results",),
        top=("", "runs"),
    )
    expect_kind(outline.kinds.get(""), dict, tool=tool, what="the SARIF log")
    runs_kind = outline.kinds.get("runs")
    if runs_kind in (None, "NoneType"):
        raise ToolOutputError(f"{tool} output is not a SARIF log: it has no 'runs'.")
    expect_kind(runs_kind, list, tool=tool, what="'runs'")
    for run in outline.containers:
        expect_kind(run.kind, dict, tool=tool, what="each run")
        results_kind = run.kinds.get("results", "NoneType")
        if results_kind != "NoneType":
            expect_kind(results_kind, list, tool=tool, what="a run's 'results'")
        if run.bad_item:
            expect_kind(run.bad_item, dict, tool=tool, what="each result")
    contexts = [_Run(run.fields, tool) for run in outline.containers]
    for index, result in stream_outlined_items(path, tool, outline, _RESULTS):
        if result.get("kind") in SKIPPED_KINDS or _suppressed(result):
            continue
        yield _finding(result, contexts[index], root)


class _Run:
    """Lookups shared by every result of one run."""

    def __init__(self, run: Mapping[str, Any], tool_fallback: str) -> None:
        tool = _dict(run.get("tool"))
        driver = _dict(tool.get("driver"))
        self.tool_name = str(driver.get("name") or tool_fallback)
        self.rules_by_id: dict[str, Mapping[str, Any]] = {}
        self.driver_rules: list[Mapping[str, Any]] = []
        components = [driver, *(_dict(ext) for ext in _list(tool.get("extensions")))]
        for position, component in enumerate(components):
            rules = [_dict(rule) for rule in _list(component.get("rules"))]
            if position == 0:
                self.driver_rules = rules
            for rule in rules:
                rule_id = rule.get("id")
                if isinstance(rule_id, str):
                    self.rules_by_id.setdefault(rule_id, rule)
        self.artifacts = [_dict(artifact) for artifact in _list(run.get("artifacts"))]
        self.base_ids = _dict(run.get("originalUriBaseIds"))

    def rule_for(self, result: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
        rule_ref = _dict(result.get("rule"))
        rule_id = result.get("ruleId") or rule_ref.get("id")
        index = result.get("ruleIndex", rule_ref.get("index"))
        rule: Mapping[str, Any] = {}
        if isinstance(rule_id, str) and rule_id in self.rules_by_id:
            rule = self.rules_by_id[rule_id]
        elif isinstance(index, int) and 0 <= index < len(self.driver_rules):
            rule = self.driver_rules[index]
        if not isinstance(rule_id, str) or not rule_id:
            rule_id = rule.get("id") if isinstance(rule.get("id"), str) else ""
        return str(rule_id or self.tool_name), rule

    def resolve_uri(self, location: Mapping[str, Any]) -> str:
        uri = location.get("uri")
        index = location.get("index")
        if not isinstance(uri, str) and isinstance(index, int) and 0 <= index < len(self.artifacts):
            uri = _dict(self.artifacts[index].get("location")).get("uri")
        if not isinstance(uri, str) or not uri:
            return ""
        base_id = location.get("uriBaseId")
        if isinstance(base_id, str) and not _is_absolute_uri(uri):
            base = self._base_uri(base_id, depth=0)
            if base:
                uri = base.rstrip("/") + "/" + uri.lstrip("/")
        return _uri_to_path(uri)

    def _base_uri(self, base_id: str, depth: int) -> str:
        entry = _dict(self.base_ids.get(base_id))
        uri = entry.get("uri")
        if not isinstance(uri, str) or depth > 5:
            return ""
        parent = entry.get("uriBaseId")
        if isinstance(parent, str) and not _is_absolute_uri(uri):
            parent_uri = self._base_uri(parent, depth + 1)
            if parent_uri:
                return parent_uri.rstrip("/") + "/" + uri.lstrip("/")
        return uri


def _finding(result: Mapping[str, Any], context: _Run, root: Path | None) -> NormalizedFinding:
    rule_id, rule = context.rule_for(result)
    rule_props = _dict(rule.get("properties"))
    result_props = _dict(result.get("properties"))
    message = _message_text(result, rule)

    severity = (
        severity_from_score(result_props.get("security-severity"))
        or severity_from_score(rule_props.get("security-severity"))
        or LEVEL_SEVERITY.get(str(_level(result, rule)), "unknown")
    )
    title = (
        _text(rule.get("shortDescription"))
        or (rule.get("name") if isinstance(rule.get("name"), str) else "")
        or first_sentence(message)
        or rule_id
    )
    file_path, line_start, line_end, snippet = _location(result, context, root)
    references = tuple(
        uri for uri in (rule.get("helpUri"),) if isinstance(uri, str) and uri.startswith("http")
    )
    confidence = confidence_of(
        rule_props.get("precision")
        or result_props.get("precision")
        or rule_props.get("confidence")
        or result_props.get("confidence")
    )
    evidence: dict[str, Any] = {"sarif_tool": context.tool_name}
    if isinstance(rule.get("name"), str) and rule["name"]:
        evidence["rule_name"] = rule["name"]
    return NormalizedFinding(
        title=first_sentence(title, 300),
        severity=severity,
        rule_id=rule_id[:255],
        description=message,
        confidence=confidence,
        cwe=_cwe(result_props) or _cwe(rule_props) or _relationship_cwe(rule),
        file_path=file_path,
        line_start=line_start,
        line_end=line_end,
        snippet=snippet,
        remediation=_text(rule.get("help")),
        references=references,
        evidence=evidence,
        fingerprint_hint=_fingerprint(result),
    )


def _level(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    level = result.get("level")
    if isinstance(level, str) and level:
        return level
    default = _dict(rule.get("defaultConfiguration")).get("level")
    return default if isinstance(default, str) and default else "warning"


def _message_text(result: Mapping[str, Any], rule: Mapping[str, Any]) -> str:
    message = _dict(result.get("message"))
    text = message.get("text") or message.get("markdown")
    if not isinstance(text, str):
        message_id = message.get("id")
        strings = _dict(rule.get("messageStrings"))
        text = _text(strings.get(message_id)) if isinstance(message_id, str) else ""
    arguments = [str(arg) for arg in _list(message.get("arguments"))]
    if arguments:
        text = _PLACEHOLDER_RE.sub(
            lambda m: arguments[int(m.group(1))] if int(m.group(1)) < len(arguments) else m[0],
            text,
        )
    return text.strip()


def _location(
    result: Mapping[str, Any], context: _Run, root: Path | None
) -> tuple[str, int | None, int | None, str]:
    locations = _list(result.get("locations"))
    if not locations:
        return "", None, None, ""
    physical = _dict(_dict(locations[0]).get("physicalLocation"))
    path = context.resolve_uri(_dict(physical.get("artifactLocation")))
    region = _dict(physical.get("region"))
    start = as_int(region.get("startLine"))
    end = as_int(region.get("endLine")) or start
    snippet = _text(region.get("snippet")) or _text(
        _dict(physical.get("contextRegion")).get("snippet")
    )
    return relative_path(path, root), start, end, snippet


def _fingerprint(result: Mapping[str, Any]) -> str:
    for key in ("fingerprints", "partialFingerprints"):
        values = {
            str(name): str(value)
            for name, value in _dict(result.get(key)).items()
            if str(value) not in PLACEHOLDER_FINGERPRINTS
        }
        if values:
            return ";".join(f"{name}={values[name]}" for name in sorted(values))[:500]
    return ""


def _cwe(properties: Mapping[str, Any]) -> int | None:
    for key in ("tags", "cwe", "CWE", "cwes"):
        value = properties.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, int) and item > 0:
                return item
            if isinstance(item, str):
                match = _CWE_RE.search(item)
                if match:
                    return int(match.group(1))
    return None


def _relationship_cwe(rule: Mapping[str, Any]) -> int | None:
    for relationship in _list(rule.get("relationships")):
        target = _dict(_dict(relationship).get("target"))
        component = _dict(target.get("toolComponent")).get("name")
        if isinstance(component, str) and component.upper() == "CWE":
            found = target.get("id")
            if isinstance(found, str) and found.isdigit():
                return int(found)
            if isinstance(found, str):
                match = _CWE_RE.search(found)
                if match:
                    return int(match.group(1))
    return None


def _suppressed(result: Mapping[str, Any]) -> bool:
    for suppression in _list(result.get("suppressions")):
        status = _dict(suppression).get("status", "accepted")
        if status == "accepted":
            return True
    return False


def _is_absolute_uri(uri: str) -> bool:
    return uri.startswith("/") or bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", uri))


def _uri_to_path(uri: str) -> str:
    if uri.startswith("file:"):
        parts = urlsplit(uri)
        return unquote(parts.path)
    return unquote(uri)


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        text = value.get("text") or value.get("markdown")
        return text.strip() if isinstance(text, str) else ""
    return value.strip() if isinstance(value, str) else ""


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
