"""testssl.sh: TLS/SSL protocol, cipher, certificate and vulnerability checks."""

from __future__ import annotations

import ipaddress
import re
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
    cwe_from,
    scanners_home,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    clip,
    host_port_arg,
    pinned_address,
    require_host_port,
    stream_json_array,
    validated_config,
)

SEVERITIES = {
    "CRITICAL": "critical",
    "HIGH": "high",
    "MEDIUM": "medium",
    "LOW": "low",
    "INFO": "informational",
    "WARN": "unknown",
}
CHECKS = {
    "protocols": "--protocols",
    "server_defaults": "--server-defaults",
    "server_preference": "--server-preference",
    "standard_ciphers": "--std",
    "forward_secrecy": "--fs",
    "headers": "--headers",
    "vulnerabilities": "--vulnerable",
    "each_cipher": "--each-cipher",
    "client_simulation": "--client-simulation",
}
# testssl.sh's own exit codes for fatal problems (everything below is a normal run).
FATAL_EXIT_CODES = {
    255: "bash version incorrect",
    254: "command line could not be parsed",
    253: "output file could not be created",
    252: "input file could not be parsed",
    251: "feature not supported",
    250: "problem with the OpenSSL binary",
    249: "problem with the DNS lookup binaries",
    248: "other client problem",
    247: "the host name could not be resolved",
    246: "could not connect to the target",
    245: "inconsistent state",
    244: "a resource testssl.sh needs could not be read",
    242: "a child process received a signal",
}
# Warnings about the scanning machine's own OpenSSL, not about the target.
SCANNER_NOTICES = frozenset({"engine_problem", "old_fart", "too_old_openssl"})
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_VERSION = re.compile(r"testssl(?:\.sh)?\s+([0-9][0-9A-Za-z.\-+~]*)")
_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


def _fatal(entries: Iterable[Any]) -> str:
    for entry in entries:
        if isinstance(entry, dict) and str(entry.get("severity", "")).upper() == "FATAL":
            return str(entry.get("finding") or "fatal error")
    return ""


class TestsslAdapter(BaseAdapter):
    """testssl.sh flat JSON (`--jsonfile`) → one finding per entry whose severity is LOW,
    MEDIUM, HIGH, CRITICAL, WARN or INFO; OK and DEBUG entries are skipped. Unless
    `include_info` is set the run passes `--severity LOW`, so testssl.sh itself leaves INFO
    and OK entries out of the report (WARN and FATAL always stay).

    Field mapping: `id` → `rule_id` (e.g. "TLS1", "cipherlist_aNULL", "cert_chain_of_trust",
    "BEAST"); severity CRITICAL/HIGH/MEDIUM/LOW/INFO → critical/high/medium/low/
    informational, WARN (a check that could not be completed) → unknown; warnings about the
    scanning machine's own OpenSSL (`engine_problem`, `old_fart`, `too_old_openssl`) are
    skipped; `finding` → `title` (with the id) and `snippet`; `cve` (space separated) →
    `cve` (first) and evidence; `cwe` → `cwe`; `ip` "name/address" → `host` (name) and
    evidence (address); `port` → `port`; `hint` → `remediation`.

    Fingerprint: `fingerprint_hint` = "testssl:<id>:<host>:<port>" — the finding text (dates,
    cipher lists) changes between runs without making it a new finding.

    Exit codes: testssl.sh's exit code is not a findings signal (it adds up per-check return
    values); only its fatal codes (242-255) fail the run, as does a FATAL `scanProblem` in the
    report. The report is streamed twice: once for a FATAL entry, which fails the run before
    any finding is yielded, then entry by entry for the findings.
    """

    tool_id: ClassVar[str] = "testssl"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "testssl.sh"
    category: ClassVar[str] = "tls"
    description: ClassVar[str] = (
        "Checks a TLS endpoint's protocols, ciphers, certificate and known TLS "
        "vulnerabilities (Heartbleed, ROBOT, POODLE, BEAST, LUCKY13, SWEET32, ...)."
    )
    homepage: ClassVar[str] = "https://testssl.sh/"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("url", "domain")
    binary: ClassVar[str] = "testssl"
    coverage_unit: ClassVar[str] = "servers"
    binaries: ClassVar[tuple[str, ...]] = ("testssl", "testssl.sh")
    default_config: ClassVar[Mapping[str, Any]] = {
        "port": 443,
        "checks": [],
        "include_info": False,
        "starttls": "none",
        "sneaky": False,
        "all_ips": False,
        "connect_timeout_seconds": 10,
        "openssl_timeout_seconds": 10,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "checks": {
                "type": "array",
                "items": {"type": "string", "enum": list(CHECKS)},
                "uniqueItems": True,
                "description": "Check groups to run; empty = testssl.sh's default full run.",
            },
            "include_info": {
                "type": "boolean",
                "description": "Also report INFO entries as informational findings.",
            },
            "starttls": {
                "type": "string",
                "enum": ["none", "ftp", "smtp", "lmtp", "pop3", "imap", "xmpp", "telnet", "ldap",
                         "nntp", "postgres", "mysql"],
            },
            "sneaky": {"type": "boolean"},
            "all_ips": {
                "type": "boolean",
                "description": "Test every address the name resolves to (default: the first).",
            },
            "connect_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 120},
            "openssl_timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 120},
        },
    }  # fmt: skip

    def executable(self) -> str | None:
        for binary in self.binaries:
            isolated = scanners_home() / self.tool_id / "bin" / binary
            if isolated.is_file():
                return str(isolated)
            found = shutil.which(binary)
            if found:
                return found
        return None

    def parse_version(self, output: str) -> str:
        match = _VERSION.search(_ANSI.sub("", output))
        return match.group(1) if match else super().parse_version(_ANSI.sub("", output))

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        host, port = require_host_port(target, int(cfg["port"]))
        try:
            ipaddress.ip_address(host)
            is_ip = True
        except ValueError:
            is_ip = False
        argv = [
            self.require_executable(),
            "--jsonfile",
            str(output_path),
            "--warnings",
            "batch",
            "--quiet",
            "--color",
            "0",
            "--nodns",
            "none" if is_ip else "min",
            "--connect-timeout",
            str(cfg["connect_timeout_seconds"]),
            "--openssl-timeout",
            str(cfg["openssl_timeout_seconds"]),
        ]
        pinned = pinned_address(target, host)
        if pinned:
            # Test the address the policy checked instead of resolving the name again.
            argv += ["--ip", pinned]
        elif not is_ip and not cfg["all_ips"]:
            argv += ["--ip", "one"]
        if cfg["starttls"] != "none":
            argv += ["--starttls", cfg["starttls"]]
        if not cfg["include_info"]:
            argv += ["--severity", "LOW"]
        if cfg["sneaky"]:
            argv.append("--sneaky")
        argv += [CHECKS[name] for name in cfg["checks"]]
        argv += ["--", host_port_arg(host, port)]
        return ToolCommand(
            argv=tuple(argv),
            output_path=output_path,
            cwd=output_path.parent,
            output_written_by_tool=True,
        )

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        try:
            fatal, readable = _fatal(stream_json_array(output_path, "testssl.sh")), True
        except ToolOutputError:
            fatal, readable = "", False
        if exit_code in FATAL_EXIT_CODES or fatal:
            meaning = FATAL_EXIT_CODES.get(exit_code, f"exit code {exit_code}")
            return ExitVerdict(
                ok=False, reason=f"testssl.sh failed ({meaning}): {fatal or stderr[-300:]}"
            )
        if not readable:
            return ExitVerdict(ok=False, reason="testssl.sh wrote no readable JSON report")
        return ExitVerdict(ok=True)

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """Servers tested: the distinct ip/port pairs of the report, none after a FATAL entry.
        A report without entries (`--severity` keeps only problems) does not say."""
        servers: set[str] = set()
        missed: list[tuple[str, str]] = []
        for entry in self._entries(output_path):
            if not isinstance(entry, dict):
                continue
            name = f"{entry.get('ip') or '?'}:{entry.get('port') or '?'}"
            if str(entry.get("severity", "")).upper() == "FATAL":
                missed.append((name, str(entry.get("finding") or "fatal error")))
            else:
                servers.add(name)
        analysed = len(servers - {name for name, _ in missed}) if servers or missed else None
        return coverage_of("servers", analysed, missed, tool="testssl.sh")

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        fatal = _fatal(self._entries(output_path))
        if fatal:
            raise ToolOutputError(f"testssl.sh could not scan the target: {fatal}")
        for entry in self._entries(output_path):
            if not isinstance(entry, dict) or "id" not in entry or "severity" not in entry:
                raise ToolOutputError("testssl.sh report entries need 'id' and 'severity'")
            level = str(entry["severity"]).upper()
            if level not in SEVERITIES or entry["id"] in SCANNER_NOTICES:
                continue
            yield _finding(entry, SEVERITIES[level])

    @staticmethod
    def _entries(output_path: Path) -> Iterator[Any]:
        return stream_json_array(
            output_path,
            "testssl.sh",
            shape_error="testssl.sh report is not a JSON list: use --jsonfile (flat)",
        )


def _finding(entry: Mapping[str, Any], severity: str) -> NormalizedFinding:
    rule = str(entry["id"])
    text = str(entry.get("finding") or "")
    name, _, address = str(entry.get("ip") or "").partition("/")
    try:
        port: int | None = int(entry.get("port") or 0) or None
    except (TypeError, ValueError):
        port = None
    cves = _CVE.findall(str(entry.get("cve") or ""))
    return NormalizedFinding(
        title=clip(f"{rule}: {text}" if text else rule, 200),
        severity=severity,
        rule_id=rule,
        description=text,
        confidence="high",
        cve=cves[0] if cves else "",
        cwe=cwe_from(str(entry.get("cwe") or "").split()),
        host=name or address,
        port=port,
        snippet=clip(text, 500),
        remediation=str(entry.get("hint") or ""),
        evidence={"address": address, "cves": cves, "testssl_severity": entry.get("severity")},
        fingerprint_hint=f"testssl:{rule}:{name or address}:{port}",
    )


testssl = TestsslAdapter()
