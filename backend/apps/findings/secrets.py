"""Hard-coded secrets never stored: masking of secret findings and of kept raw outputs.

A finding is about a hard-coded secret when its tool is a secret scanner, its CWE is one of
the hard-coded credential weaknesses, or its rule is a known secret rule of a code scanner.
For such a finding the values it holds are found (string literals and values assigned on the
flagged lines, quoted values in the tool's message, well-known token shapes, private key
blocks) and replaced in title, description, snippet and evidence before the row is built.
The values seen are collected so the tool's raw output can be kept with them rewritten too.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from django.utils.crypto import salted_hmac

from apps.tools.adapters.base import NormalizedFinding
from apps.tools.adapters.common import MASK, mask_secret

# CWE-259 hard-coded password, 260 password in a configuration file, 321 hard-coded
# cryptographic key, 798 hard-coded credentials.
SECRET_CWES = frozenset({259, 260, 321, 798})
SECRET_TOOLS = frozenset({"detect-secrets", "gitleaks"})
# Rules of code scanners about secrets that may come without a CWE.
SECRET_RULES = frozenset({"B105", "B106", "B107"})
SECRET_RULE_PATTERN = re.compile(
    r"(^CKV_SECRET_)|((^|[._-])(secrets?|hardcoded[_-]?(password|secret|credential|key|token)s?)"
    r"([._-]|$))",
    re.IGNORECASE,
)

# Values shorter than this are only replaced where they stand quoted, so masking "abc" never
# rewrites every "abc" in a report.
_MIN_BARE = 6

_PRIVATE_KEY = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?"
    r"-----|\Z)",
    re.DOTALL,
)
# Shapes of credentials that are secrets wherever they appear.
_TOKENS = re.compile(
    r"\b(?=[Agxsre])(?:"  # the first letters below: a cheap filter for large reports
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}"  # AWS access key ids
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}"  # GitHub
    r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"  # Slack
    r"|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|AIza[0-9A-Za-z_-]{35}"  # Google API keys
    r"|eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"  # JWTs
    r")"
)
# 'literal', "literal" or `literal` (escaped quotes allowed inside).
_LITERAL = re.compile(r"""(?P<q>['"`])(?P<v>(?:\\.|(?!(?P=q)).){1,4000}?)(?P=q)""")
# NAME = value / NAME: value / NAME=value in code and configuration files, for names that say
# they hold a secret; the value runs to whitespace, a quote, a comma or a bracket.
_NAME_WORDS = (
    r"pass(?:wd|word)?|pwd|secret|token|api[_-]?key|apikey|auth|credential|private[_-]?key"
)
_NAMED = rf"[A-Za-z0-9_.-]*(?:{_NAME_WORDS})[A-Za-z0-9_.-]*"
_ASSIGNED = re.compile(
    rf"(?i)\b{_NAMED}['\"]?\s*(?:=|:|=>)\s*(?P<v>[^\s'\"`,;()\[\]{{}}]{{4,}})"
    # A plain value, not a call or subscript (`password = get_password()`).
    r"(?=[\s'\"`,;)\]}]|$)"
)
# user:password@ in URLs.
_URL_PASSWORD = re.compile(r"://[^/\s:@'\"]+:(?P<v>[^@\s/'\"]{3,})@")
# NAME = "value" / name: 'value' / pwd="value" (a keyword argument) for secret names.
_NAMED_LITERAL = re.compile(
    rf"(?i)\b{_NAMED}['\"]?\s*(?:=|:|=>)\s*(?P<q>['\"`])(?P<v>(?:\\.|(?!(?P=q)).){{4,4000}}?)(?P=q)"
)
_SECRET_NAME = re.compile(_NAME_WORDS, re.IGNORECASE)
_QUOTE = re.compile(r"""['"`][^'"`\s]{16}""")
# A quoted literal that looks like a key or token: 16+ characters, letters and digits mixed,
# no spaces.
_OPAQUE_LITERAL = re.compile(
    r"""(?P<q>['"`])(?P<v>(?=[^'"`\s]*\d)(?=[^'"`\s]*[A-Za-z])[A-Za-z0-9+/=_.~-]{16,})(?P=q)"""
)


# Severity policy: a committed private key or cloud credential is critical whatever the tool
# says. Told by the rule or title (private key, AWS, GCP, Azure…) or by the value's shape.
CRITICAL_SECRET_RULE = re.compile(
    r"(?i)private[ _-]?key|(?<![a-z])aws(?![a-z])|amazon|gcp|google[ _-]?(cloud|api)"
    r"|azure|service[ _-]?account|alibaba"
)
_CLOUD_TOKENS = re.compile(r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}|AIza[0-9A-Za-z_-]{35})\b")
# Names a flagged line gives a cloud credential (a keyword rule flags the line, not the cloud).
_CLOUD_NAMES = re.compile(
    r"(?i)aws_?secret_?access_?key|aws_?session_?token|azure_?(client_?secret|storage_?key)"
    r"|AccountKey=|\"type\"\s*:\s*\"service_account\""
)
# How many lines after a private key's BEGIN line are read to identify the key.
_KEY_BLOCK_LINES = 100
_HMAC_SALT = "seculite.findings.secret-group"


def is_critical_secret(finding: NormalizedFinding, code: str) -> bool:
    """Whether a secret finding is a private key or a cloud credential (see the policy)."""
    text = f"{finding.rule_id}\n{finding.title}"
    return bool(
        CRITICAL_SECRET_RULE.search(text)
        or _PRIVATE_KEY.search(code)
        or "PRIVATE KEY-----" in code
        or _CLOUD_TOKENS.search(code)
        or _CLOUD_NAMES.search(code)
    )


def secret_hash(value: str) -> str:
    """A keyed hash of a secret value (HMAC-SHA256 with the server's key): findings holding
    the same secret meet by it, and it tells nothing about the value without the key."""
    return salted_hmac(_HMAC_SALT, value, algorithm="sha256").hexdigest()


def is_secret_finding(tool_id: str, finding: NormalizedFinding) -> bool:
    """Whether `finding` is about a hard-coded secret (and so holds one)."""
    return (
        tool_id in SECRET_TOOLS
        or finding.cwe in SECRET_CWES
        or finding.rule_id in SECRET_RULES
        or _is_secret_rule(finding.rule_id)
    )


@functools.lru_cache(maxsize=4096)
def _is_secret_rule(rule_id: str) -> bool:
    return bool(SECRET_RULE_PATTERN.search(rule_id))


def _is_key(text: str, match: re.Match[str]) -> bool:
    """A literal used as a mapping key or subscript (`"password": …`, `env["TOKEN"]`)."""
    after = text[match.end() :].lstrip()
    before = text[: match.start()].rstrip()
    return (after.startswith(":") and not after.startswith("::")) or before.endswith("[")


def values_in_code(text: str) -> set[str]:
    """The secret values a flagged code excerpt holds: its string literals (not mapping keys),
    the values of secret-named assignments, URL passwords and token shapes."""
    found: set[str] = set()
    for match in _LITERAL.finditer(text):
        value = match.group("v")
        if value.strip() and not _is_key(text, match):
            found.add(value)
    for pattern in (_ASSIGNED, _URL_PASSWORD):
        found.update(m.group("v") for m in pattern.finditer(text))
    found.update(m.group(0) for m in _TOKENS.finditer(text))
    found.update(_key_body_lines(text))
    return found


def values_near_code(text: str) -> set[str]:
    """Secret values in code that no secret rule flagged (the lines around another finding):
    values of secret-named assignments and arguments, URL passwords, token shapes, private
    key bodies and opaque literals that look like keys. Ordinary strings are left alone."""
    found: set[str] = set()
    # Cheap tests first: most code has no secret-like name, URL or quote on a line, and the
    # patterns below cost far more than these searches.
    if _SECRET_NAME.search(text):
        for pattern in (_NAMED_LITERAL, _ASSIGNED):
            found.update(m.group("v") for m in pattern.finditer(text))
    if "://" in text:
        found.update(m.group("v") for m in _URL_PASSWORD.finditer(text))
    if _QUOTE.search(text):
        found.update(m.group("v") for m in _OPAQUE_LITERAL.finditer(text))
    found.update(m.group(0) for m in _TOKENS.finditer(text))
    if "PRIVATE KEY" in text:
        found.update(_key_body_lines(text))
    return found


def values_in_message(text: str) -> set[str]:
    """Quoted values in a tool's message ("Possible hardcoded password: 'hunter2'")."""
    found = {m.group("v") for m in _LITERAL.finditer(text) if m.group("v").strip()}
    found.update(m.group(0) for m in _TOKENS.finditer(text))
    found.update(m.group("v") for m in _URL_PASSWORD.finditer(text))
    return found


def _key_body_lines(text: str) -> set[str]:
    """Each line of a private key block's body (reports escape newlines differently)."""
    lines: set[str] = set()
    for block in _PRIVATE_KEY.finditer(text):
        for line in block.group(0).splitlines()[1:]:
            line = line.strip().strip("\"',\\n")
            if len(line) >= _MIN_BARE and not line.startswith("-----"):
                lines.add(line)
    return lines


def mask_text(text: str, values: Iterable[str] = ()) -> str:
    """`text` with private key blocks, token shapes and the given values masked."""
    if not text:
        return text
    text = _PRIVATE_KEY.sub(lambda m: f"-----BEGIN {m.group(1)}PRIVATE KEY-----{MASK}", text)
    text = _TOKENS.sub(lambda m: mask_secret(m.group(0)), text)
    for value in sorted(set(values), key=len, reverse=True):
        if not value or MASK in value:
            continue
        if len(value) >= _MIN_BARE:
            text = text.replace(value, mask_secret(value))
        else:
            for quote in ("'", '"', "`"):
                text = text.replace(f"{quote}{value}{quote}", f"{quote}{MASK}{quote}")
            text = re.sub(rf"([=:]\s*){re.escape(value)}(?=\s|$)", rf"\g<1>{MASK}", text)
    return text


def mask_code(text: str) -> str:
    """A flagged code excerpt with every secret value on it masked (its fingerprint text)."""
    return mask_text(text, values_in_code(text))


def _mask_value(value: Any, values: set[str]) -> Any:
    if isinstance(value, str):
        return mask_text(value, values)
    if isinstance(value, Mapping):
        return {k: _mask_value(v, values) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mask_value(v, values) for v in value]
    return value


class SecretMasker:
    """Masks the secret findings of one tool result and remembers the values it saw."""

    def __init__(self, tool_id: str, source: Any = None) -> None:
        self.tool_id = tool_id
        self.source = source  # a fingerprints.SourceReader, to read the flagged lines
        self.values: set[str] = set()
        # (file, line, rule) of each secret finding → keyed hash of its secret value, for
        # apps.findings.grouping (the value itself is never kept).
        self.secret_hashes: dict[tuple[str, int | None, str], str] = {}

    def _identify(self, finding: NormalizedFinding, code: str, values: set[str]) -> None:
        """Remember the keyed hash of the finding's secret: a private key's body (read on
        from its BEGIN line), else the longest value on the flagged lines or in the
        tool's evidence."""
        identity = ""
        if "PRIVATE KEY" in code and self.source is not None and finding.line_start:
            block = self.source.lines(
                finding.file_path, finding.line_start, finding.line_start + _KEY_BLOCK_LINES
            )
            identity = "".join(sorted(_key_body_lines(block)))
        if not identity:
            usable = [v for v in values if len(v) >= _MIN_BARE and MASK not in v]
            identity = max(usable, key=lambda v: (len(v), v), default="")
        if identity:
            key = (finding.file_path, finding.line_start, finding.rule_id)
            self.secret_hashes[key] = secret_hash(identity)

    def __call__(self, finding: NormalizedFinding) -> NormalizedFinding:
        if not is_secret_finding(self.tool_id, finding):
            return finding
        # The flagged lines and the tool's snippet, whose context lines may hold more secrets
        # (Bandit shows the lines around the flagged one): every literal of both is masked.
        code = finding.snippet
        if self.source is not None:
            lines = self.source.lines(finding.file_path, finding.line_start, finding.line_end)
            code = f"{code}\n{lines}"
        values = values_in_code(code)
        self._identify(finding, code, values | _evidence_values(finding.evidence))
        values |= values_in_message(finding.title + "\n" + finding.description)
        values |= _evidence_values(finding.evidence)
        self.values |= {v for v in values if MASK not in v and not set(v) <= {"*"}}
        severity = "critical" if is_critical_secret(finding, code) else finding.severity
        return dataclasses.replace(
            finding,
            severity=severity,
            title=mask_text(finding.title, values),
            description=mask_text(finding.description, values),
            snippet=mask_text(finding.snippet, values),
            evidence=_mask_value(dict(finding.evidence), values),
        )


def _evidence_values(evidence: Mapping[str, Any]) -> set[str]:
    """Values evidence holds under a name that says it is the secret (an unmasked `secret`)."""
    found: set[str] = set()
    for key, value in evidence.items():
        if isinstance(value, str) and value and re.fullmatch(r"(?i)(secret|match|password)", key):
            found.add(value)
    return found


_CHUNK = 1024 * 1024
_OVERLAP = 64 * 1024
_KEY_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY( BLOCK)?-----.*?(-----END|\Z)", re.DOTALL
)


def redact_file(source: Path, destination: Path, values: Iterable[str]) -> None:
    """Copy `source` to `destination` with private key blocks, token shapes and `values`
    (raw and as JSON escapes them) masked; streamed, so a large report is never held whole."""
    patterns = _redaction_patterns(values)
    with open(source, "rb") as src, open(destination, "wb") as dst:
        carry = b""
        while True:
            chunk = src.read(_CHUNK)
            buffer = carry + chunk
            if not chunk:
                dst.write(_redact_bytes(buffer, patterns))
                return
            # Written up to a point no value straddles; the rest waits for the next chunk.
            cut = _safe_cut(buffer, patterns, max(len(buffer) - _OVERLAP, 0))
            dst.write(_redact_bytes(buffer[:cut], patterns))
            carry = buffer[cut:]


def redaction_needed(source: Path, values: Iterable[str]) -> bool:
    """Whether `redact_file` would change `source`: some value to rewrite, or a private key
    block or token shape in it. One read-only pass (the token pattern over each chunk and
    the bytes before it, so a token across two chunks is seen)."""
    if any(value and MASK not in value for value in values):
        return True
    tokens = _redaction_patterns(())[1][0]
    with open(source, "rb") as src:
        tail = b""
        while chunk := src.read(_CHUNK):
            buffer = tail + chunk
            if b"PRIVATE KEY" in buffer or tokens.search(buffer):
                return True
            tail = buffer[-_TOKEN_WINDOW:]
    return False


# Longer than the shortest text each token shape needs, so one across a chunk boundary is
# found whole in the bytes kept from the chunk before.
_TOKEN_WINDOW = 4096


def _safe_cut(buffer: bytes, patterns: list[tuple[re.Pattern[bytes], Any]], cut: int) -> int:
    """`cut` moved back before any key block left open at it, and before any value or token
    that straddles it (those are shorter than _OVERLAP, so only that window is searched)."""
    begin = buffer.rfind(b"-----BEGIN ", 0, cut + len(b"-----BEGIN "))
    if 0 <= begin < cut and buffer.find(b"-----END", begin, cut) < 0:
        cut = begin
    moved = True
    while moved:
        moved = False
        for pattern, _ in patterns[1:]:
            for match in pattern.finditer(buffer, max(cut - _OVERLAP, 0)):
                if match.start() >= cut:
                    break
                if match.end() > cut:
                    cut, moved = match.start(), True
                    break
    return cut


def _masked_key_block(match: re.Match[bytes]) -> bytes:
    return b"-----BEGIN " + match.group(1) + b"PRIVATE KEY-----" + MASK.encode() + match.group(3)


def _redaction_patterns(values: Iterable[str]) -> list[tuple[re.Pattern[bytes], Any]]:
    forms: set[str] = set()
    for value in values:
        if not value or MASK in value:
            continue
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        if len(value) >= _MIN_BARE:
            forms.update({value, escaped})
        else:
            forms.update({f"'{value}'", f'\\"{value}\\"', f"`{value}`"})
    patterns: list[tuple[re.Pattern[bytes], Any]] = [
        (_KEY_BLOCK, _masked_key_block),
        (re.compile(_TOKENS.pattern.encode()), MASK.encode()),
    ]
    if forms:
        ordered = sorted(forms, key=len, reverse=True)
        alternation = b"|".join(re.escape(f.encode("utf-8")) for f in ordered)
        patterns.append((re.compile(alternation), MASK.encode()))
    return patterns


def _redact_bytes(data: bytes, patterns: list[tuple[re.Pattern[bytes], Any]]) -> bytes:
    for pattern, replacement in patterns:
        data = pattern.sub(replacement, data)
    return data
