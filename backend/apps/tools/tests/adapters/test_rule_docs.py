"""Every code tool's finding links to its rule's documentation (from the real sample outputs)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from apps.tools.adapters.checkov import checkov, checkov_doc_urls
from apps.tools.adapters.detect_secrets import PLUGIN_MODULES, detect_secrets, plugin_doc_url
from apps.tools.adapters.eslint import eslint, eslint_rule_doc_url
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.adapters.semgrep import RULES_DIR, semgrep
from apps.tools.tests.adapters.sample_runs import parse_sample

CODE_TOOLS = ("semgrep", "checkov", "bandit", "eslint", "hadolint", "shellcheck", "detect-secrets")


@pytest.mark.parametrize("tool_id", CODE_TOOLS)
def test_every_finding_of_the_many_sample_has_a_documentation_link(tool_id: str) -> None:
    findings = parse_sample(ADAPTERS[tool_id], "many")
    assert findings
    for finding in findings:
        assert finding.references, f"{tool_id} {finding.rule_id} has no link"
        assert all(link.startswith("https://") for link in finding.references)


def test_semgrep_links_and_remediation_come_from_the_rule_metadata() -> None:
    by_rule = {f.rule_id: f for f in parse_sample(semgrep, "many")}
    sql = by_rule["python-sql-string-formatting"]
    assert sql.references == (
        "https://cheatsheetseries.owasp.org/cheatsheets/Query_Parameterization_Cheat_Sheet.html",
        "https://peps.python.org/pep-0249/#paramstyle",
    )
    assert sql.remediation.startswith("Pass values as query parameters")
    assert all(f.remediation for f in by_rule.values())


def test_every_shipped_semgrep_rule_has_references_and_remediation() -> None:
    for path in RULES_DIR.glob("*.yml"):
        for rule in yaml.safe_load(path.read_text())["rules"]:
            metadata = rule["metadata"]
            assert metadata["references"], rule["id"]
            assert metadata["remediation"].strip(), rule["id"]


def test_checkov_links_to_the_check_source_and_the_policy_index() -> None:
    by_rule = {f.rule_id: f for f in parse_sample(checkov, "many")}
    assert by_rule["CKV_AWS_24"].references == (
        "https://github.com/bridgecrewio/checkov/blob/main/checkov/terraform/checks/resource/"
        "aws/SecurityGroupUnrestrictedIngress22.py",
        "https://www.checkov.io/5.Policy%20Index/terraform.html",
    )
    # A graph check reports a shared class: only its framework's index page.
    assert by_rule["CKV2_AWS_5"].references == (
        "https://www.checkov.io/5.Policy%20Index/terraform.html",
    )
    assert checkov_doc_urls("", "something_new") == (
        "https://www.checkov.io/5.Policy%20Index/all.html",
    )


def test_checkov_check_sources_exist_in_the_installed_checkov() -> None:
    """The source links follow the installed package's layout. Checkov installs here
    (scripts/install-scanners.sh, in a virtualenv of its own): missing is a failure."""
    exe = checkov.executable()
    assert exe is not None, "Checkov is not installed: run scripts/install-scanners.sh"
    packages = list(Path(exe).resolve().parents[1].glob("lib/python3*/site-packages"))
    assert packages, f"Checkov at {exe} is not in a virtualenv of its own"
    for finding in parse_sample(checkov, "many"):
        source = finding.references[0]
        if source.startswith("https://github.com/"):
            relative = source.removeprefix("https://github.com/bridgecrewio/checkov/blob/main/")
            assert (packages[0] / relative).is_file(), relative


def test_eslint_links_core_and_plugin_rules() -> None:
    by_rule = {f.rule_id: f for f in parse_sample(eslint, "many")}
    assert by_rule["no-eval"].references == ("https://eslint.org/docs/latest/rules/no-eval",)
    assert eslint_rule_doc_url("no-new-func") == "https://eslint.org/docs/latest/rules/no-new-func"
    assert eslint_rule_doc_url("security/detect-child-process") == (
        "https://github.com/eslint-community/eslint-plugin-security/blob/main/docs/rules/"
        "detect-child-process.md"
    )
    assert eslint_rule_doc_url("unknown-plugin/rule") == ""


def test_detect_secrets_links_the_plugin_and_says_what_to_do() -> None:
    findings = parse_sample(detect_secrets, "many")
    by_type = {f.evidence["type"]: f for f in findings}
    assert by_type["AWS Access Key"].references[0] == (
        "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/plugins/aws.py"
    )
    assert all(f.remediation.startswith("Treat the secret as exposed") for f in findings)
    assert plugin_doc_url("Something New").endswith("#currently-supported-plugins")


def test_detect_secrets_plugin_modules_exist_in_the_installed_tool() -> None:
    exe = detect_secrets.executable()
    if exe is None:
        pytest.skip("detect-secrets is not installed here")
    plugins = list(
        Path(exe).resolve().parents[1].glob("lib/python3*/site-packages/detect_secrets/plugins")
    )
    if not plugins:
        pytest.skip("detect-secrets is not in an isolated environment")
    for module in set(PLUGIN_MODULES.values()):
        assert (plugins[0] / f"{module}.py").is_file(), module


@pytest.mark.parametrize(
    ("tool_id", "rule", "link"),
    [
        ("bandit", "B602", "https://bandit.readthedocs.io/"),
        ("hadolint", "DL3007", "https://github.com/hadolint/hadolint/wiki/DL3007"),
        ("shellcheck", "SC2086", "https://www.shellcheck.net/wiki/SC2086"),
    ],
)
def test_bandit_hadolint_and_shellcheck_link_their_rule_pages(
    tool_id: str, rule: str, link: str
) -> None:
    by_rule = {f.rule_id: f for f in parse_sample(ADAPTERS[tool_id], "many")}
    assert by_rule[rule].references[0].startswith(link)
