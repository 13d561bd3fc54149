"""Re-record the real sample outputs of the tools that run on this worker (loopback only).

    cd backend && SECULITE_SCANNERS_DIR=... \\
        .venv/bin/python -m apps.tools.tests.adapters.record_samples [tool ...]

Every run goes through the adapter's own `build_command` and `runner.run_process`, against
the servers in `loopback.py` on 127.0.0.1. Machine-specific values (random ports, temp
paths) are replaced with stable placeholders afterwards (see PLACEHOLDER_PORTS), so the
samples diff cleanly between recordings. Dates, certificate details and tool versions stay
as recorded.

Provenance of the samples of the tools this module does not record:
- real recordings: wapiti, sslyze, testssl, nmap (empty/one/many, and failure_no_host_up:
  host discovery inside `unshare -rn` with the target dropped, see record_nmap_no_host_up),
  npm_audit (all, incl.
  failure_offline; failure_enolock and failure_http405 are real npm 11 outputs from a tree
  without a lockfile and from a registry mirror without the audit endpoint), pip_audit (all;
  findings come from a loopback OSV API serving made-up advisories, failure_all_skipped from
  the default PyPI service being unreachable);
- the code tools' samples, including `partial.*` (trees with files the tools cannot parse),
  are recorded by `sample_runs.py`;
- written by hand in each tool's documented format (the binaries are not installable here):
  gitleaks, trivy_fs, trivy_image, grype, osv_scanner, zap_baseline, nuclei, and
  nmap/vuln_scripts.xml (NSE vulns-library and vulners output).
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from apps.tools.adapters.base import PreparedTarget, ToolAdapter, ToolOutputError
from apps.tools.adapters.registry import adapter_get
from apps.tools.adapters.runner import run_process
from apps.tools.tests.adapters import loopback

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TMP_PLACEHOLDER = "/scan/root"
# Stable stand-ins for the random loopback ports.
PLACEHOLDER_PORTS = {"app": 18080, "tls": 18443, "registry": 14873, "osv": 18999}


class Recorder:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ports: dict[int, int] = {}

    def port(self, real: int, role: str, index: int = 0) -> int:
        self.ports[real] = PLACEHOLDER_PORTS[role] + index
        return real

    def stabilise(self, text: str) -> str:
        text = text.replace(str(self.tmp), TMP_PLACEHOLDER)
        for real, placeholder in self.ports.items():
            # Random ports are 5-digit numbers; replace them wherever they stand alone.
            text = re.sub(rf"(?<![\w.]){real}(?![\w.])", str(placeholder), text)
        return text

    def run(
        self,
        tool: str,
        target: PreparedTarget,
        config: Mapping[str, Any],
        name: str,
        *,
        extra_before_target: tuple[str, ...] = (),
        timeout: float = 900,
        ext: str = "json",
    ) -> Path:
        adapter: ToolAdapter = adapter_get(tool)
        out_dir = self.tmp / f"{tool}-{name}"
        out_dir.mkdir(parents=True, exist_ok=True)
        output = out_dir / f"report.{ext}"
        command = adapter.build_command(target=target, config=config, output_path=output)
        argv = list(command.argv)
        if extra_before_target:
            cut = argv.index("--") if "--" in argv else len(argv)
            argv[cut:cut] = extra_before_target
        outcome = run_process(
            argv,
            timeout_seconds=timeout,
            stdout_path=None if command.output_written_by_tool else output,
            cwd=command.cwd,
            env=command.env,
        )
        verdict = adapter.interpret_exit(
            exit_code=outcome.exit_code if outcome.exit_code is not None else -1,
            output_path=output,
            stderr=outcome.stderr_tail,
        )
        print(f"{tool}/{name}: exit {outcome.exit_code} ok={verdict.ok} {verdict.reason}")
        dest = SAMPLES / tool / f"{name}.{ext}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(self.stabilise(output.read_text("utf-8", "replace")))
        try:
            count = str(len(list(adapter.parse(output_path=dest, target=target))))
        except ToolOutputError as exc:
            count = f"ToolOutputError({exc})"
        print(f"  -> {dest.relative_to(SAMPLES)}: {count} finding(s)")
        return dest


def url_target(url: str) -> PreparedTarget:
    return PreparedTarget(asset_type="url", identifier=url, url=url, host="127.0.0.1")


def tree_target(path: Path) -> PreparedTarget:
    return PreparedTarget(asset_type="codebase_path", identifier=str(path), path=path)


def record_wapiti(rec: Recorder) -> None:
    with loopback.VulnerableApp() as app:
        rec.port(app.port, "app")
        target = url_target(app.url)
        base = {"max_scan_time_seconds": 120, "max_attack_time_seconds": 60}
        rec.run("wapiti", target, {**base}, "many")
        rec.run("wapiti", target, {**base, "modules": ["csp"]}, "one")
        rec.run("wapiti", target, {**base, "modules": ["redirect"]}, "empty")


def record_sslyze(rec: Recorder) -> None:
    with loopback.tls_server(rec.tmp / "tls-weak", extra_args=loopback.WEAK_TLS) as port:
        rec.port(port, "tls")
        rec.run("sslyze", url_target(f"https://127.0.0.1:{port}/"), {}, "many")
    one = rec.tmp / "tls-one"
    with loopback.tls_server(
        one, extra_args=loopback.TLS11_ONLY_GOOD_CIPHERS, days=400, signed_by_ca=True
    ) as port:
        rec.port(port, "tls", 1)
        ca = (f"--certinfo_ca_file={one / 'ca.pem'}",)
        target = url_target(f"https://127.0.0.1:{port}/")
        no_hsts = {"http_headers": False}
        rec.run("sslyze", target, no_hsts, "one", extra_before_target=ca)
    empty = rec.tmp / "tls-empty"
    with loopback.tls_server(empty, days=400, signed_by_ca=True) as port:
        rec.port(port, "tls", 2)
        ca = (f"--certinfo_ca_file={empty / 'ca.pem'}",)
        target = url_target(f"https://127.0.0.1:{port}/")
        rec.run("sslyze", target, {"http_headers": False}, "empty", extra_before_target=ca)


def record_testssl(rec: Recorder) -> None:
    with loopback.tls_server(rec.tmp / "ts-weak", extra_args=loopback.WEAK_TLS) as port:
        rec.port(port, "tls")
        rec.run("testssl", url_target(f"https://127.0.0.1:{port}/"), {}, "many", timeout=900)
    with loopback.tls_server(
        rec.tmp / "ts-one", extra_args=loopback.TLS11_ONLY_GOOD_CIPHERS, days=400
    ) as port:
        rec.port(port, "tls", 1)
        target = url_target(f"https://127.0.0.1:{port}/")
        rec.run("testssl", target, {"checks": ["protocols"]}, "one")
    with loopback.tls_server(rec.tmp / "ts-empty", days=400) as port:
        rec.port(port, "tls", 2)
        target = url_target(f"https://127.0.0.1:{port}/")
        rec.run("testssl", target, {"checks": ["protocols"]}, "empty")


def record_nmap(rec: Recorder) -> None:
    target = PreparedTarget(asset_type="domain", identifier="127.0.0.1", host="127.0.0.1")
    fast = {"version_intensity": 2, "host_timeout_seconds": 300}
    with (
        loopback.VulnerableApp() as app,
        loopback.FakeNpmRegistry() as registry,
        loopback.tls_server(rec.tmp / "nmap-tls") as tls_port,
    ):
        rec.port(app.port, "app")
        rec.port(registry.port, "registry")
        rec.port(tls_port, "tls")
        ports = f"{app.port},{registry.port},{tls_port}"
        config = {**fast, "ports": ports, "scripts": ["http-title", "ssl-cert"]}
        rec.run("nmap", target, config, "many", ext="xml")
        rec.run("nmap", target, {**fast, "ports": str(app.port)}, "one", ext="xml")
    closed = loopback.free_port()
    rec.port(closed, "app", 1)
    rec.run("nmap", target, {**fast, "ports": str(closed)}, "empty", ext="xml")
    record_nmap_no_host_up(rec)


# Inside a new user and network namespace (`unshare -rn`) only that namespace's loopback exists;
# iptables there drops everything to 127.0.0.66, so host discovery gets no answer and no packet
# ever leaves the namespace. nmap believes it is root there, hence --unprivileged (as the
# worker, which is not root, runs it).
_NO_HOST_UP = 'ip link set lo up && iptables -A OUTPUT -d 127.0.0.66 -j DROP && exec "$@"'


def record_nmap_no_host_up(rec: Recorder) -> None:
    """nmap/failure_no_host_up.xml: a real report of a run in which no host was up."""
    adapter = adapter_get("nmap")
    target = PreparedTarget(asset_type="domain", identifier="127.0.0.66", host="127.0.0.66")
    config = {
        **adapter.default_config,
        "skip_host_discovery": False,
        "service_detection": False,
        "top_ports": 10,
        "max_retries": 0,
        "timing": 4,
    }
    out_dir = rec.tmp / "nmap-no-host-up"
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / "report.xml"
    argv = list(adapter.build_command(target=target, config=config, output_path=output).argv)
    argv.insert(1, "--unprivileged")
    unshare, shell = shutil.which("unshare"), shutil.which("sh")
    if not unshare or not shell:
        raise SystemExit("unshare (util-linux) is needed to record nmap/failure_no_host_up")
    outcome = run_process(
        (unshare, "-rn", shell, "-c", _NO_HOST_UP, "sh", *argv),
        timeout_seconds=120,
        stdout_path=None,
    )
    if outcome.exit_code != 0 or not output.exists():
        raise SystemExit(f"nmap in a network namespace failed: {outcome.stderr_tail}")
    text = output.read_text("utf-8").replace(str(out_dir), "/scan/work")
    (SAMPLES / "nmap" / "failure_no_host_up.xml").write_text(text, "utf-8")


NPM_TREES = {
    "many": {"lodash": "4.17.20", "minimist": "1.2.5"},
    "one": {"minimist": "1.2.5"},
    "empty": {"left-pad": "1.3.0"},
}


def record_npm_audit(rec: Recorder) -> None:
    trees = SAMPLES / "npm_audit" / "trees"
    with loopback.FakeNpmRegistry() as registry:
        rec.port(registry.port, "registry")
        for name in NPM_TREES:
            tree = trees / name
            if not (tree / "package-lock.json").is_file():
                raise SystemExit(f"missing {tree}/package-lock.json (npm i --package-lock-only)")
            config = {"registry": registry.url}
            rec.run("npm_audit", tree_target(tree), config, name)
    closed = loopback.free_port()
    rec.port(closed, "registry", 1)
    config = {"registry": f"http://127.0.0.1:{closed}/"}
    rec.run("npm_audit", tree_target(trees / "one"), config, "failure_offline")


PIP_TREES = {
    "many": "requests==2.19.0\nurllib3==1.23\nidna==2.7\n",
    "one": "urllib3==1.23\n",
    "empty": "idna==2.7\n",
}


def record_pip_audit(rec: Recorder) -> None:
    with loopback.FakeOsvApi() as osv:
        rec.port(osv.port, "osv")
        for name, requirements in PIP_TREES.items():
            tree = rec.tmp / f"pip-{name}"
            tree.mkdir()
            (tree / "requirements.txt").write_text(requirements)
            config = {"vulnerability_service": "osv", "osv_url": osv.query_url, "no_deps": True}
            rec.run("pip_audit", tree_target(tree), config, name)
    # The default service (PyPI's JSON API) is not reachable from here: every dependency is
    # skipped while pip-audit says "No known vulnerabilities found" and exits 0.
    tree = rec.tmp / "pip-skipped"
    tree.mkdir()
    (tree / "requirements.txt").write_text(PIP_TREES["many"])
    rec.run("pip_audit", tree_target(tree), {"no_deps": True}, "failure_all_skipped")


RECORDERS: dict[str, Callable[[Recorder], None]] = {
    "wapiti": record_wapiti,
    "sslyze": record_sslyze,
    "testssl": record_testssl,
    "nmap": record_nmap,
    "npm_audit": record_npm_audit,
    "pip_audit": record_pip_audit,
}


def main(tools: list[str]) -> None:
    with tempfile.TemporaryDirectory(prefix="seculite-record-") as tmp:
        rec = Recorder(Path(tmp))
        for tool in tools or list(RECORDERS):
            RECORDERS[tool](rec)
    shutil.rmtree(SAMPLES / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
