"""SSLyze: TLS configuration scanner for one host:port."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from apps.tools.adapters.base import (
    BaseAdapter,
    ExitVerdict,
    NormalizedFinding,
    PreparedTarget,
    ToolCommand,
    ToolOutputError,
)
from apps.tools.adapters.coverage import Coverage, coverage_of
from apps.tools.adapters.toolkit import (
    clip,
    host_port_arg,
    json_kind,
    json_value,
    pinned_address,
    require_host_port,
    stream_json_items,
    validated_config,
)

PROTOCOLS = (
    ("ssl_2_0_cipher_suites", "SSL 2.0", "critical", "sslv2"),
    ("ssl_3_0_cipher_suites", "SSL 3.0", "high", "sslv3"),
    ("tls_1_0_cipher_suites", "TLS 1.0", "medium", "tlsv1_0"),
    ("tls_1_1_cipher_suites", "TLS 1.1", "medium", "tlsv1_1"),
)
CIPHER_SECTIONS = (
    "ssl_2_0_cipher_suites",
    "ssl_3_0_cipher_suites",
    "tls_1_0_cipher_suites",
    "tls_1_1_cipher_suites",
    "tls_1_2_cipher_suites",
    "tls_1_3_cipher_suites",
)
# (rule suffix, title, severity, cwe), checked in this order; a suite lands in its first class.
CIPHER_CLASSES = (
    ("null", "NULL (unencrypted) cipher suites accepted", "critical", 319),
    ("anonymous", "Anonymous (unauthenticated) cipher suites accepted", "critical", 287),
    ("export", "Export-grade cipher suites accepted", "critical", 327),
    ("rc4", "RC4 cipher suites accepted", "high", 327),
    ("des", "DES/RC2/IDEA cipher suites accepted", "high", 327),
    ("short_key", "Cipher suites with keys shorter than 128 bits accepted", "high", 326),
    ("3des", "3DES cipher suites accepted (SWEET32)", "medium", 327),
    ("md5", "Cipher suites with MD5 MAC accepted", "medium", 328),
)
EXPIRY_WARNING = timedelta(days=30)
# With --mozilla_config=disable sslyze runs only the scan commands named on the command line;
# these are the ones its default (Mozilla-checked) run schedules.
SCAN_COMMAND_FLAGS = (
    "--certinfo", "--sslv2", "--sslv3", "--tlsv1", "--tlsv1_1", "--tlsv1_2", "--tlsv1_3",
    "--compression", "--heartbleed", "--openssl_ccs", "--fallback", "--reneg", "--robot",
    "--elliptic_curves", "--ems",
)  # fmt: skip


def _cipher_class(suite: Mapping[str, Any]) -> str | None:
    name = str(suite.get("name") or "").upper()
    if "_NULL_" in name or name.endswith("_NULL") or "WITH_NULL" in name:
        return "null"
    if suite.get("is_anonymous") or "_ANON_" in name:
        return "anonymous"
    if "EXPORT" in name:
        return "export"
    if "RC4" in name:
        return "rc4"
    if "3DES" in name or "DES_EDE" in name or "DES_192" in name:
        return "3des"
    if "_DES_" in name or "DES_64" in name or "RC2" in name or "IDEA" in name:
        return "des"
    size = suite.get("key_size")
    if isinstance(size, int) and 0 < size < 128:
        return "short_key"
    if name.endswith("_MD5"):
        return "md5"
    return None


class SslyzeAdapter(BaseAdapter):
    """SSLyze JSON (`--json_out`) → findings derived from the scan results of each server.

    Findings (rule_id → severity): `sslyze.protocol.sslv2|sslv3|tlsv1_0|tlsv1_1` when the
    version is accepted (critical/high/medium/medium); `sslyze.cipher.<class>` once per class
    of weak accepted suites (NULL, anonymous, export → critical; RC4, DES, <128-bit → high;
    3DES, MD5 → medium) listing the suites and versions in evidence; `sslyze.dh.weak` for
    ephemeral DH under 2048 bits; certificate checks `sslyze.cert.untrusted` (no trust store
    validates the chain), `.expired`, `.not_yet_valid`, `.expiring` (< 30 days), `.weak_key`,
    `.sha1_signature`, `.symantec`; vulnerability checks `sslyze.heartbleed` (critical),
    `.ccs_injection`, `.robot`, `.insecure_renegotiation`, `.client_renegotiation_dos`,
    `.compression` (CRIME), `.no_fallback_scsv`, `.early_data`, `.no_hsts`; a scan command
    that errored → `sslyze.scan_error.<command>` (unknown severity). CVE ids are set for the
    named attacks. Host/port come from `server_location`.

    Fingerprint: `fingerprint_hint` = rule id + hostname + port (the evidence — suite lists,
    dates — may change between runs without making it a new finding).

    `--mozilla_config=disable` keeps the exit code about the run, not compliance; sslyze also
    exits 0 when a server is unreachable, so `interpret_exit` reads the report and fails the
    run when no server could be scanned. The report is streamed server by server (one
    server's result, a few hundred KB, is held at a time); that check runs first, so a run
    that scanned nothing never yields a finding.
    """

    tool_id: ClassVar[str] = "sslyze"
    needs_network: ClassVar[bool] = True
    name: ClassVar[str] = "SSLyze"
    category: ClassVar[str] = "tls"
    description: ClassVar[str] = (
        "TLS scanner: protocol versions, cipher suites, certificate validation and known TLS "
        "attacks (Heartbleed, ROBOT, CCS injection, insecure renegotiation, CRIME)."
    )
    homepage: ClassVar[str] = "https://github.com/nabla-c0d3/sslyze"
    supported_asset_types: ClassVar[tuple[str, ...]] = ("url", "domain")
    binary: ClassVar[str] = "sslyze"
    coverage_unit: ClassVar[str] = "servers"
    default_config: ClassVar[Mapping[str, Any]] = {
        "port": 443,
        "starttls": "none",
        "slow_connection": False,
        "http_headers": True,
    }
    config_schema: ClassVar[Mapping[str, Any]] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "port": {
                "type": "integer",
                "minimum": 1,
                "maximum": 65535,
                "description": "Port for domain targets (a URL's own port wins).",
            },
            "starttls": {
                "type": "string",
                "enum": ["none", "auto", "smtp", "xmpp", "xmpp_server", "pop3", "imap", "ftp",
                         "ldap", "rdp", "postgres"],
            },
            "slow_connection": {"type": "boolean"},
            "http_headers": {
                "type": "boolean",
                "description": "Also check HSTS on HTTPS targets (URL targets only).",
            },
        },
    }  # fmt: skip

    def version_command(self) -> tuple[str, ...] | None:
        """sslyze has no --version: ask its own interpreter (from the script's shebang)."""
        exe = self.executable()
        if exe is None:
            return None
        try:
            with open(exe, "rb") as handle:
                first = handle.readline(512).decode("utf-8", "replace").strip()
        except OSError:
            return None
        if not first.startswith("#!"):
            return None
        parts = first[2:].split()
        if not parts or not Path(parts[0]).is_file():
            return None
        return (
            parts[0],
            "-c",
            "import importlib.metadata as m; print('sslyze', m.version('sslyze'))",
        )

    def build_command(
        self, *, target: PreparedTarget, config: Mapping[str, Any], output_path: Path
    ) -> ToolCommand:
        cfg = validated_config(self, config)
        host, port = require_host_port(target, int(cfg["port"]))
        argv = [
            self.require_executable(),
            "--quiet",
            "--mozilla_config=disable",
            f"--json_out={output_path}",
            *SCAN_COMMAND_FLAGS,
        ]
        if cfg["http_headers"] and cfg["starttls"] == "none" and target.asset_type == "url":
            argv.append("--http_headers")
        if cfg["starttls"] != "none":
            argv.append(f"--starttls={cfg['starttls']}")
        if cfg["slow_connection"]:
            argv.append("--slow_connection")
        server = host_port_arg(host, port)
        pinned = pinned_address(target, host)
        if pinned:
            # sslyze's `host:port{ip}` connects to the checked address, SNI stays the name.
            server += f"{{[{pinned}]}}" if ":" in pinned else f"{{{pinned}}}"
        argv += ["--", server]
        return ToolCommand(argv=tuple(argv), output_path=output_path, output_written_by_tool=True)

    def interpret_exit(self, *, exit_code: int, output_path: Path, stderr: str) -> ExitVerdict:
        verdict = super().interpret_exit(
            exit_code=exit_code, output_path=output_path, stderr=stderr
        )
        if not verdict.ok:
            return verdict
        try:
            problem = _unscanned_reason(output_path)
        except ToolOutputError as exc:
            return ExitVerdict(ok=False, reason=f"sslyze wrote no readable report: {exc}")
        return ExitVerdict(ok=False, reason=problem) if problem else verdict

    def coverage(self, *, output_path: Path, target: PreparedTarget, stderr: str) -> Coverage:
        """Servers reached: `server_scan_results` whose connectivity completed."""
        reached = 0
        missed: list[tuple[str, str]] = []
        for item in _items(output_path, "invalid_server_strings"):
            if isinstance(item, dict):
                missed.append((str(item.get("server_string")), str(item.get("error_message"))))
        for server in _items(output_path, "server_scan_results"):
            if not isinstance(server, dict):
                continue
            location = server.get("server_location") or {}
            name = f"{location.get('hostname')}:{location.get('port')}"
            if server.get("connectivity_status") != "COMPLETED":
                trace = str(server.get("connectivity_error_trace") or "").strip().splitlines()
                missed.append((name, trace[-1] if trace else "not reachable"))
            elif server.get("scan_status") != "COMPLETED":
                missed.append((name, f"scan {server.get('scan_status')}"))
            else:
                reached += 1
        return coverage_of("servers", reached, missed, tool="SSLyze")

    def parse(self, *, output_path: Path, target: PreparedTarget) -> Iterator[NormalizedFinding]:
        if json_kind(output_path, "sslyze", "server_scan_results", use_float=False) is None:
            raise ToolOutputError("sslyze report has no 'server_scan_results': not SSLyze JSON")
        problem = _unscanned_reason(output_path)
        if problem:
            raise ToolOutputError(problem)
        completed = json_value(output_path, "sslyze", "date_scans_completed", use_float=False)
        scanned_at = _when(completed) or datetime.now(UTC)
        for server in _items(output_path, "server_scan_results"):
            if not isinstance(server, dict) or server.get("scan_status") != "COMPLETED":
                continue
            location = server.get("server_location") or {}
            yield from _ServerFindings(
                host=str(location.get("hostname") or ""),
                port=int(location.get("port") or 0) or None,
                results=server.get("scan_result") or {},
                scanned_at=scanned_at,
            ).all()


# SSLyze writes RSA moduli and serial numbers as integers beyond 64 bits, which ijson's
# fast float mode refuses; numbers are read exactly and `_plain` turns the rare Decimal into a
# float.
def _items(output_path: Path, key: str) -> Iterator[Any]:
    items = stream_json_items(
        output_path, "sslyze", f"{key}.item", expect_keys=None, use_float=False
    )
    return (_plain(item) for item in items)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return float(value) if isinstance(value, Decimal) else value


def _unscanned_reason(output_path: Path) -> str:
    """Why no server was scanned ("" when one was), from one streamed pass over the servers."""
    if json_kind(output_path, "sslyze", use_float=False) != "dict":
        return "sslyze report is not a JSON object"
    problems = [
        f"{item.get('server_string')}: {item.get('error_message')}"
        for item in _items(output_path, "invalid_server_strings")
        if isinstance(item, dict)
    ]
    completed = 0
    for server in _items(output_path, "server_scan_results"):
        if not isinstance(server, dict):
            continue
        if server.get("connectivity_status") == "COMPLETED":
            completed += 1
            continue
        location = server.get("server_location") or {}
        trace = str(server.get("connectivity_error_trace") or "").strip().splitlines()
        problems.append(
            f"{location.get('hostname')}:{location.get('port')}: "
            f"{trace[-1] if trace else server.get('scan_status')}"
        )
    if completed == 0:
        detail = "; ".join(problems) or "no server in the report"
        return f"sslyze could not scan any server: {clip(detail, 500)}"
    return ""


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _ServerFindings:
    def __init__(
        self, *, host: str, port: int | None, results: Mapping[str, Any], scanned_at: datetime
    ) -> None:
        self.host, self.port, self.results, self.scanned_at = host, port, results, scanned_at

    def finding(
        self,
        rule: str,
        title: str,
        severity: str,
        description: str,
        *,
        cve: str = "",
        cwe: int | None = None,
        evidence: Mapping[str, Any] | None = None,
        remediation: str = "",
        refs: tuple[str, ...] = (),
    ) -> NormalizedFinding:
        return NormalizedFinding(
            title=title,
            severity=severity,
            rule_id=rule,
            description=description,
            confidence="high",
            cve=cve,
            cwe=cwe,
            host=self.host,
            port=self.port,
            remediation=remediation,
            references=refs,
            evidence=dict(evidence or {}),
            fingerprint_hint=f"sslyze:{rule}:{self.host}:{self.port}",
        )

    def result(self, command: str) -> Mapping[str, Any] | None:
        attempt = self.results.get(command) or {}
        if attempt.get("status") == "COMPLETED":
            return attempt.get("result") or {}
        return None

    def all(self) -> Iterator[NormalizedFinding]:
        yield from self.errors()
        yield from self.protocols()
        yield from self.ciphers()
        yield from self.certificates()
        yield from self.attacks()

    def errors(self) -> Iterator[NormalizedFinding]:
        for command, attempt in self.results.items():
            if isinstance(attempt, dict) and attempt.get("status") == "ERROR":
                yield self.finding(
                    f"sslyze.scan_error.{command}",
                    f"SSLyze could not complete the '{command}' check",
                    "unknown",
                    f"{attempt.get('error_reason') or 'error'}: the result of this check is "
                    "unknown.",
                    evidence={"error_trace": clip(attempt.get("error_trace"), 1000)},
                )

    def protocols(self) -> Iterator[NormalizedFinding]:
        for command, label, severity, short in PROTOCOLS:
            result = self.result(command)
            if result and result.get("is_tls_version_supported"):
                suites = [
                    (s.get("cipher_suite") or {}).get("name")
                    for s in result.get("accepted_cipher_suites") or []
                ]
                yield self.finding(
                    f"sslyze.protocol.{short}",
                    f"Deprecated protocol {label} accepted",
                    severity,
                    f"The server accepts {label}, which is deprecated and has known weaknesses.",
                    cwe=327,
                    evidence={"accepted_cipher_suites": suites[:50]},
                    remediation=f"Disable {label}; offer TLS 1.2 and TLS 1.3 only.",
                    refs=("https://datatracker.ietf.org/doc/html/rfc8996",),
                )

    def ciphers(self) -> Iterator[NormalizedFinding]:
        by_class: dict[str, dict[str, list[str]]] = {}
        weak_dh: dict[str, int] = {}
        for command in CIPHER_SECTIONS:
            result = self.result(command)
            if not result:
                continue
            version = str(result.get("tls_version_used") or command)
            for accepted in result.get("accepted_cipher_suites") or []:
                suite = accepted.get("cipher_suite") or {}
                kind = _cipher_class(suite)
                name = str(suite.get("name") or "")
                if kind:
                    by_class.setdefault(kind, {}).setdefault(name, []).append(version)
                key = accepted.get("ephemeral_key") or {}
                size = key.get("size")
                if key.get("type_name") == "DH" and isinstance(size, int) and size < 2048:
                    weak_dh[name] = size
        for kind, title, severity, cwe in CIPHER_CLASSES:
            suites = by_class.get(kind)
            if suites:
                yield self.finding(
                    f"sslyze.cipher.{kind}",
                    title,
                    severity,
                    f"The server accepts {len(suites)} such cipher suite(s): "
                    + ", ".join(sorted(suites)[:20]),
                    cwe=cwe,
                    evidence={
                        "cipher_suites": {name: sorted(set(v)) for name, v in suites.items()}
                    },
                    remediation="Remove these suites from the server's cipher configuration.",
                )
        if weak_dh:
            yield self.finding(
                "sslyze.dh.weak",
                "Weak Diffie-Hellman parameters",
                "low",
                f"Ephemeral DH groups as small as {min(weak_dh.values())} bits are used "
                "(Logjam-style attacks need < 2048 bits).",
                cwe=326,
                evidence={"cipher_suites": weak_dh},
                remediation="Use DH groups of at least 2048 bits or prefer ECDHE.",
            )

    def certificates(self) -> Iterator[NormalizedFinding]:
        result = self.result("certificate_info")
        if not result:
            return
        for index, deployment in enumerate(result.get("certificate_deployments") or []):
            chain = deployment.get("received_certificate_chain") or []
            leaf = chain[0] if chain else {}
            suffix = "" if index == 0 else f".{index}"
            subject = (leaf.get("subject") or {}).get("rfc4514_string", "")
            base_evidence = {
                "subject": subject,
                "issuer": (leaf.get("issuer") or {}).get("rfc4514_string", ""),
                "not_valid_after": leaf.get("not_valid_after"),
                "fingerprint_sha256": leaf.get("fingerprint_sha256"),
            }
            validations = deployment.get("path_validation_results") or []
            if validations and not any(v.get("was_validation_successful") for v in validations):
                errors = sorted({str(v.get("validation_error") or "") for v in validations} - {""})
                yield self.finding(
                    f"sslyze.cert.untrusted{suffix}",
                    "Certificate chain is not trusted",
                    "high",
                    f"No trust store ({', '.join(str((v.get('trust_store') or {}).get('name')) for v in validations)}) "  # noqa: E501
                    f"validates the certificate for {subject or 'the server'}: "
                    f"{errors[0] if errors else 'validation failed'}",
                    cwe=295,
                    evidence={**base_evidence, "validation_errors": errors[:5]},
                    remediation="Serve a certificate from a publicly trusted CA, with the full "
                    "intermediate chain and a subjectAltName for the host.",
                )
            yield from self._validity(leaf, suffix, base_evidence)
            key = leaf.get("public_key") or {}
            size = key.get("key_size")
            if (
                str(key.get("algorithm", "")).startswith("RSA")
                and isinstance(size, int)
                and size < 2048
            ):
                yield self.finding(
                    f"sslyze.cert.weak_key{suffix}",
                    "Certificate RSA key shorter than 2048 bits",
                    "high",
                    f"The certificate's RSA key is {size} bits.",
                    cwe=326,
                    evidence=base_evidence,
                )
            algorithm = str((leaf.get("signature_hash_algorithm") or {}).get("name") or "")
            if deployment.get("verified_chain_has_sha1_signature") or algorithm in ("sha1", "md5"):
                yield self.finding(
                    f"sslyze.cert.sha1_signature{suffix}",
                    "Certificate chain signed with SHA-1 or MD5",
                    "medium",
                    "A certificate in the chain uses a broken signature hash.",
                    cwe=328,
                    evidence={**base_evidence, "leaf_signature_hash": algorithm},
                )
            if deployment.get("verified_chain_has_legacy_symantec_anchor"):
                yield self.finding(
                    f"sslyze.cert.symantec{suffix}",
                    "Certificate chains to a distrusted Symantec root",
                    "high",
                    "Browsers distrust the legacy Symantec roots this chain uses.",
                    cwe=295,
                    evidence=base_evidence,
                )

    def _validity(
        self, leaf: Mapping[str, Any], suffix: str, evidence: Mapping[str, Any]
    ) -> Iterator[NormalizedFinding]:
        not_after = _when(leaf.get("not_valid_after"))
        not_before = _when(leaf.get("not_valid_before"))
        if not_after and not_after < self.scanned_at:
            yield self.finding(
                f"sslyze.cert.expired{suffix}",
                "Certificate has expired",
                "high",
                f"The certificate expired on {not_after.isoformat()}.",
                cwe=298,
                evidence=evidence,
                remediation="Renew the certificate.",
            )
        elif not_after and not_after - self.scanned_at < EXPIRY_WARNING:
            yield self.finding(
                f"sslyze.cert.expiring{suffix}",
                "Certificate expires within 30 days",
                "medium",
                f"The certificate expires on {not_after.isoformat()}.",
                cwe=298,
                evidence=evidence,
                remediation="Renew the certificate (automate renewal).",
            )
        if not_before and not_before > self.scanned_at:
            yield self.finding(
                f"sslyze.cert.not_yet_valid{suffix}",
                "Certificate is not yet valid",
                "high",
                f"The certificate is valid only from {not_before.isoformat()}.",
                cwe=298,
                evidence=evidence,
            )

    def attacks(self) -> Iterator[NormalizedFinding]:
        r = self.result("heartbleed")
        if r and r.get("is_vulnerable_to_heartbleed"):
            yield self.finding(
                "sslyze.heartbleed",
                "Heartbleed (OpenSSL heartbeat memory disclosure)",
                "critical",
                "The server leaks memory through the TLS heartbeat extension.",
                cve="CVE-2014-0160",
                cwe=125,
                remediation="Upgrade OpenSSL and rotate the private key and certificates.",
            )
        r = self.result("openssl_ccs_injection")
        if r and r.get("is_vulnerable_to_ccs_injection"):
            yield self.finding(
                "sslyze.ccs_injection",
                "OpenSSL CCS injection",
                "high",
                "The server accepts an early ChangeCipherSpec message.",
                cve="CVE-2014-0224",
                cwe=310,
                remediation="Upgrade OpenSSL.",
            )
        r = self.result("robot")
        robot = str((r or {}).get("robot_result") or "")
        if robot.startswith("VULNERABLE"):
            yield self.finding(
                "sslyze.robot",
                "ROBOT (RSA padding oracle)",
                "high" if robot == "VULNERABLE_STRONG_ORACLE" else "medium",
                f"sslyze result: {robot}.",
                cve="CVE-2017-13099",
                cwe=203,
                evidence={"robot_result": robot},
                remediation="Disable RSA key-exchange cipher suites or patch the TLS stack.",
            )
        r = self.result("session_renegotiation")
        if r and r.get("supports_secure_renegotiation") is False:
            yield self.finding(
                "sslyze.insecure_renegotiation",
                "Secure renegotiation not supported",
                "medium",
                "The server does not support RFC 5746 secure renegotiation.",
                cve="CVE-2009-3555",
                cwe=310,
            )
        if r and r.get("is_vulnerable_to_client_renegotiation_dos"):
            yield self.finding(
                "sslyze.client_renegotiation_dos",
                "Client-initiated renegotiation allowed (DoS)",
                "medium",
                f"The server accepted {r.get('client_renegotiations_success_count')} "
                "client-initiated renegotiations.",
                cwe=400,
            )
        r = self.result("tls_compression")
        if r and r.get("supports_compression"):
            yield self.finding(
                "sslyze.compression",
                "TLS compression enabled (CRIME)",
                "medium",
                "TLS-level compression lets an attacker recover secrets such as cookies.",
                cve="CVE-2012-4929",
                cwe=310,
            )
        r = self.result("tls_fallback_scsv")
        if r and r.get("supports_fallback_scsv") is False:
            yield self.finding(
                "sslyze.no_fallback_scsv",
                "TLS_FALLBACK_SCSV not supported",
                "low",
                "The server does not prevent protocol downgrade attacks.",
                cwe=757,
            )
        r = self.result("tls_1_3_early_data")
        if r and r.get("supports_early_data"):
            yield self.finding(
                "sslyze.early_data",
                "TLS 1.3 early data (0-RTT) accepted",
                "low",
                "0-RTT data can be replayed; make sure the application tolerates it.",
                cwe=294,
            )
        r = self.result("http_headers")
        if (
            r
            and r.get("http_error_trace") is None
            and "strict_transport_security_header" in r
            and r.get("strict_transport_security_header") is None
        ):
            yield self.finding(
                "sslyze.no_hsts",
                "No HTTP Strict-Transport-Security header",
                "low",
                "The HTTPS response has no HSTS header.",
                cwe=319,
            )


sslyze = SslyzeAdapter()
