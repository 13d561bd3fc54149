"""detect-secrets: committed credentials, reported without their values."""

from __future__ import annotations

import hashlib
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
    expect,
    expect_kind,
    mask_secret,
    source_lines,
    tree_inputs,
    tree_root,
)
from apps.tools.adapters.jsonstream import json_kind, stream_json_kvitems

# Ways to cut a source line into candidate secrets, from coarse to fine: detect-secrets
# reports only sha1(secret), so a candidate whose sha1 matches is the secret itself.
_SPLITTERS = (
    re.compile(r"[\s'\"`]+"),
    re.compile(r"[\s'\"`=,;()\[\]{}<>]+"),
    re.compile(r"[\s'\"`=,;()\[\]{}<>:@/]+"),
)
_MAX_LINE_CHARS = 4000


PLUGINS_URL = "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/plugins/"
# Each secret type detect-secrets reports → the module of the plugin that finds it (its
# docstring and patterns are the rule's documentation).
PLUGIN_MODULES: dict[str, str] = {
    "AWS Access Key": "aws",
    "Artifactory Credentials": "artifactory",
    "Azure Storage Account access key": "azure_storage_key",
    "Base64 High Entropy String": "high_entropy_strings",
    "Basic Auth Credentials": "basic_auth",
    "Cloudant Credentials": "cloudant",
    "Discord Bot Token": "discord",
    "GitHub Token": "github_token",
    "GitLab Token": "gitlab_token",
    "Hex High Entropy String": "high_entropy_strings",
    "IBM COS HMAC Credentials": "ibm_cos_hmac",
    "IBM Cloud IAM Key": "ibm_cloud_iam",
    "JSON Web Token": "jwt",
    "Mailchimp Access Key": "mailchimp",
    "NPM tokens": "npm",
    "OpenAI Token": "openai",
    "Private Key": "private_key",
    "Public IP (ipv4)": "ip_public",
    "PyPI Token": "pypi_token",
    "Secret Keyword": "keyword",
    "SendGrid API Key": "sendgrid",
    "Slack Token": "slack",
    "SoftLayer Credentials": "softlayer",
    "Square OAuth Secret": "square_oauth",
    "Stripe Access Key": "stripe",
    "Telegram Bot Token": "telegram_token",
    "Twilio API Key": "twilio",
}
PLUGINS_README = "https://github.com/Yelp/detect-secrets#currently-supported-plugins"
SECRETS_CHEAT_SHEET = (
    "https://cheatsheetseries.owasp.org/cheatsheets/Secrets_Management_Cheat_Sheet.html"
)
REMEDIATION = (
    "Treat the secret as exposed: revoke or rotate it, load it from the environment or a "
    "secret store instead of the repository, and remove it from the repository's history."
)


def plugin_doc_url(secret_type: str) -> str:
    """The documentation of the plugin that reports `secret_type` (the plugin list if unknown)."""
    module = PLUGIN_MODULES.get(secret_type)
    return f"{PLUGINS_URL}{module}.py" if module else PLUGINS_README


def _slug(secret_type: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", secret_type.lower()).strip("-") or "secret"


def _sha1(value: str) -> str:
    return hashlib.sha1(value.encode("utf-8"), usedforsecurity=False).hexdigest()


def masked_line(line: str, hashed_secrets: set[str]) -> tuple[str, str]:
    """(the line with every reported secret on it masked, the mask of the first one found)
    or ("", "") when none of the secrets can be located, so an unmasked line is never kept."""
    if not line or len(line) > _MAX_LINE_CHARS:
        return "", ""
    found: dict[str, str] = {}
    for splitter in _SPLITTERS:
        for token in splitter.split(line):
            if token and token not in found and _sha1(token) in hashed_secrets:
                found[token] = mask_secret(token)
    if not found:
        return "", ""
    masked = line
    for token in sorted(found, key=len, reverse=True):
        masked = masked.replace(token, found[token])
    return masked, next(iter(found.values()))


class DetectSecretsAdapter(BaseAdapter):
    """detect-secrets (`detect-secrets scan --all-files`), run from the tree root so reported
    file names are relative.

    Secret values never reach a finding: detect-secrets itself reports only
    `hashed_secret` (sha1 of the value). The snippet is the source line with the secret
    masked (located by comparing sha1 of the line's tokens with `hashed_secret`); when it
    cannot be located the snippet stays empty rather than risk keeping the value.

    Mapping of each `results[<file>][]` entry:
    - rule_id ← `type` as a slug (e.g. "AWS Access Key" → aws-access-key);
      title ← "<type> committed"
    - severity: always high; confidence: high when `is_verified`, else medium; cwe: 798
    - file_path ← `filename`; line_start/line_end ← `line_number`
    - snippet ← masked source line; evidence ← `type`, `is_verified`, `masked_secret`
    - references ← the detecting plugin's documentation (PLUGIN_MODULES) and OWASP's secrets
      management cheat sheet; remediation: revoke or rotate, move out of the repository
    - fingerprint_hint ← `type` + file + `hashed_secret`: a moved secret stays one finding,
      the same secret in another file is another one (detect-secrets reports a secret once
      per file).

    Exit code 0 is success; any other is an error.
    """

    tool_id: ClassVar[str] = "detect-secrets"
    name: ClassVar[str] = "detect-secrets"
    category: ClassVar[str] = "secrets"
    description: ClassVar[str] = (
        "Finds credentials committed to source: cloud keys, private keys, tokens and "
        "high-entropy strings."
    )
    homepage: ClassVar[str] = "https://github.com/Yelp/detect-secrets"
    supported_asset_types: ClassVar[tuple[str, ...]] = CODE_ASSET_TYPES
    binary: ClassVar[str] = "detect-secrets"
    default_config: ClassVar[Mapping[str, Any]] = {"exclude_files": "", "base64_limit": 4.5}
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "exclude_files": {
                "type": "string",
                "description": "Regular expression of file paths to skip ('' for none).",
                "maxLength": 300,
                "pattern": "^[^\\x00-\\x1f]*$",
            },
            "base64_limit": {
                "type": "number",
                "description": "Entropy limit for base64 strings (detect-secrets default 4.5).",
                "minimum": 0,
                "maximum": 8,
            },
        },
        "additionalProperties": False,
    }

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        root = tree_root(target, tool=self.name)
        cfg = self.config_with_defaults(config)
        limit = float(cfg["base64_limit"])
        if not 0 <= limit <= 8:
            raise ValueError("base64_limit must be between 0 and 8")
        argv = [self.require_executable(), "scan", "--all-files", f"--base64-limit={limit}"]
        exclude = cfg["exclude_files"]
        if exclude:
            try:
                re.compile(exclude)
            except re.error as exc:
                raise ValueError(f"exclude_files is not a valid regular expression: {exc}") from exc
            argv.append(f"--exclude-files={exclude}")
        argv += ["--", "."]
        return ToolCommand(argv=tuple(argv), output_path=output_path, cwd=root)

    def input_files(self, *, target: PreparedTarget, config: Mapping[str, Any]) -> list[str] | None:
        # --all-files: every file is read (detect-secrets does not report which it read, so
        # coverage stays "not said").
        return tree_inputs(target, lambda path: True)

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        # Streamed file by file: only one file's entries are held (its secrets' hashes are
        # needed together to mask every secret on a line).
        kind = json_kind(output_path, self.name, "results")
        if kind is None:
            raise ToolOutputError(f"{self.name} output has no 'results' mapping.")
        expect_kind(kind, dict, tool=self.name, what="'results'")
        root = target.path
        results = stream_json_kvitems(output_path, self.name, "results", expect_keys=None)
        for filename, entries in results:
            expect(entries, list, tool=self.name, what=f"results for {filename!r}")
            hashes_by_line: dict[int | None, set[str]] = {}
            for entry in entries:
                expect(entry, dict, tool=self.name, what="each secret")
                hashes_by_line.setdefault(as_int(entry.get("line_number")), set()).add(
                    str(entry.get("hashed_secret") or "")
                )
            for entry in entries:
                yield self._finding(str(filename), entry, hashes_by_line, root)

    def _finding(
        self,
        filename: str,
        entry: Mapping[str, Any],
        hashes_by_line: Mapping[int | None, set[str]],
        root: Path | None,
    ) -> NormalizedFinding:
        secret_type = str(entry.get("type") or "Secret")
        hashed = str(entry.get("hashed_secret") or "")
        line = as_int(entry.get("line_number"))
        file_path = relative_path(str(entry.get("filename") or filename), root)
        snippet, masked = "", ""
        source = source_lines(root, file_path, line, max_lines=1, max_chars=_MAX_LINE_CHARS)
        if source and hashed:
            line_hashes = hashes_by_line.get(line, set()) | {hashed}
            snippet, _ = masked_line(source, line_hashes)
            _, masked = masked_line(source, {hashed})
        verified = entry.get("is_verified") is True
        evidence: dict[str, Any] = {"type": secret_type, "is_verified": verified}
        if masked:
            evidence["masked_secret"] = masked
        return NormalizedFinding(
            title=f"{secret_type} committed",
            severity="high",
            rule_id=_slug(secret_type),
            description=f"detect-secrets found what looks like a {secret_type} in this file.",
            remediation=REMEDIATION,
            references=(plugin_doc_url(secret_type), SECRETS_CHEAT_SHEET),
            confidence="high" if verified else "medium",
            cwe=798,
            file_path=file_path,
            line_start=line,
            line_end=line,
            snippet=snippet,
            evidence=evidence,
            fingerprint_hint=f"{_slug(secret_type)}:{file_path}:{hashed}" if hashed else "",
        )


detect_secrets = DetectSecretsAdapter()
