"""The explicit registry: tool id → adapter. Adding a tool means one import and one line here."""

from __future__ import annotations

from apps.tools.adapters.bandit import bandit
from apps.tools.adapters.base import ToolAdapter
from apps.tools.adapters.checkov import checkov
from apps.tools.adapters.detect_secrets import detect_secrets
from apps.tools.adapters.eslint import eslint
from apps.tools.adapters.gitleaks import gitleaks
from apps.tools.adapters.grype import grype
from apps.tools.adapters.hadolint import hadolint
from apps.tools.adapters.njsscan import njsscan
from apps.tools.adapters.nmap import nmap
from apps.tools.adapters.npm_audit import npm_audit
from apps.tools.adapters.nuclei import nuclei
from apps.tools.adapters.osv_scanner import osv_scanner
from apps.tools.adapters.pip_audit import pip_audit
from apps.tools.adapters.semgrep import semgrep
from apps.tools.adapters.shellcheck import shellcheck
from apps.tools.adapters.sslyze import sslyze
from apps.tools.adapters.testssl import testssl
from apps.tools.adapters.trivy_fs import trivy_fs
from apps.tools.adapters.trivy_image import trivy_image
from apps.tools.adapters.wapiti import wapiti
from apps.tools.adapters.zap_baseline import zap_baseline

# Code, secrets and IaC scanners (each run against a prepared source tree).
_CODE_ADAPTERS: tuple[ToolAdapter, ...] = (
    semgrep,
    bandit,
    detect_secrets,
    checkov,
    shellcheck,
    hadolint,
    eslint,
    njsscan,
)

# Dependency, image, DAST, TLS and network scanners.
_OTHER_ADAPTERS: tuple[ToolAdapter, ...] = (
    pip_audit,
    npm_audit,
    osv_scanner,
    trivy_fs,
    trivy_image,
    grype,
    gitleaks,
    wapiti,
    zap_baseline,
    nuclei,
    sslyze,
    testssl,
    nmap,
)

ADAPTERS: dict[str, ToolAdapter] = {
    adapter.tool_id: adapter for adapter in (*_CODE_ADAPTERS, *_OTHER_ADAPTERS)
}


def adapter_get(tool_id: str) -> ToolAdapter:
    try:
        return ADAPTERS[tool_id]
    except KeyError as exc:
        raise LookupError(f"no adapter registered for tool {tool_id!r}") from exc
