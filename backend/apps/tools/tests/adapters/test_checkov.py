"""Checkov adapter: list/dict/summary outputs, severity fallback, offline argv."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.checkov import checkov, checkov_severity
from apps.tools.tests.adapters.sample_runs import (
    SampleRun,
    parse_report_text,
    parse_sample,
    target_for,
    with_fake_executable,
)


def test_parses_one_from_a_single_report_dict() -> None:
    [finding] = parse_sample(checkov, "one")
    assert finding.rule_id == "CKV_AWS_13"
    assert finding.severity == "medium"
    assert finding.file_path == "iac/main.tf"
    assert (finding.line_start, finding.line_end) == (1, 11)
    assert "aws_iam_account_password_policy.strict" in finding.description
    assert finding.evidence["check_type"] == "terraform"
    assert finding.fingerprint_hint == (
        "terraform:iac/main.tf:aws_iam_account_password_policy.strict:CKV_AWS_13"
    )


def test_parses_many_from_a_list_of_reports() -> None:
    findings = parse_sample(checkov, "many")
    assert len(findings) == 19
    types = {f.evidence["check_type"] for f in findings}
    assert types == {"terraform", "dockerfile"}
    by_rule = {f.rule_id: f for f in findings}
    assert by_rule["CKV_AWS_20"].file_path == "iac/main.tf"
    assert by_rule["CKV_AWS_24"].line_start == 6
    assert by_rule["CKV_DOCKER_8"].severity == "low"
    assert by_rule["CKV_DOCKER_8"].file_path == "docker/Dockerfile"
    assert by_rule["CKV2_AWS_6"].severity == "medium"


def test_summary_only_output_is_empty() -> None:
    assert parse_sample(checkov, "empty") == []


def test_reported_severity_wins_over_prefix() -> None:
    assert checkov_severity("CKV_AWS_20", "CRITICAL") == "critical"
    assert checkov_severity("CKV_DOCKER_2", None) == "low"
    assert checkov_severity("CKV_SECRET_2", None) == "high"
    assert checkov_severity("CKV_AZURE_1", None) == "medium"


def test_code_block_becomes_snippet(tmp_path: Path) -> None:
    output = tmp_path / "out.json"
    output.write_text(
        json.dumps(
            {
                "check_type": "kubernetes",
                "results": {
                    "failed_checks": [
                        {
                            "check_id": "CKV_K8S_20",
                            "check_name": "Containers should not run with allowPrivilegeEscalation",
                            "file_path": "/k8s/pod.yaml",
                            "file_line_range": [3, 4],
                            "resource": "Pod.default.web",
                            "severity": "HIGH",
                            "code_block": [[3, "spec:\n"], [4, "  containers: []\n"]],
                            "guideline": "https://docs.example/k8s-20",
                        }
                    ]
                },
            }
        )
    )
    [finding] = checkov.parse(output_path=output, target=target_for(tmp_path))
    assert finding.file_path == "k8s/pod.yaml"
    assert finding.severity == "high"
    assert finding.snippet == "spec:\n  containers: []"
    # The vendor's guideline first, then the framework's policy index page.
    assert finding.references == (
        "https://docs.example/k8s-20",
        "https://www.checkov.io/5.Policy%20Index/kubernetes.html",
    )


def test_argv_is_offline_and_keeps_the_tree_config_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with_fake_executable(monkeypatch, checkov, "/opt/checkov/bin/checkov")
    tree = tmp_path / "tree"
    tree.mkdir()
    command = checkov.build_command(
        target=target_for(tree),
        config=checkov.config_with_defaults(
            {"checks": ["CKV_AWS_20"], "frameworks": ["terraform"]}
        ),
        output_path=tmp_path / "work" / "out.json",
    )
    argv = list(command.argv)
    assert argv[0] == "/opt/checkov/bin/checkov"
    # "--directory=<path>" (not "-d <path>"): Checkov then never reads <path>/.checkov.yaml.
    assert f"--directory={tree}" in argv and str(tree) not in argv
    assert "--skip-download" in argv and "--output=json" in argv
    assert "--framework=terraform" in argv and "--check=CKV_AWS_20" in argv
    assert "--skip-framework=sca_package,sca_image,secrets" in argv
    assert command.env["BC_SKIP_MAPPING"] == "TRUE"
    assert command.cwd == tmp_path / "work"
    with pytest.raises(ValueError):
        checkov.build_command(
            target=target_for(tree),
            config=checkov.config_with_defaults({"checks": ["--external-checks-dir=/x"]}),
            output_path=tmp_path / "out.json",
        )


@pytest.mark.parametrize(("code", "ok"), [(0, True), (1, True), (2, False)])
def test_exit_one_means_failed_checks_not_an_error(tmp_path: Path, code: int, ok: bool) -> None:
    assert checkov.interpret_exit(exit_code=code, output_path=tmp_path, stderr="").ok is ok


@pytest.mark.parametrize(
    "content", ["", "Traceback: boom", '"text"', '{"results": []}', '[{"check_type": "x"}]']
)
def test_garbage_output_raises(tmp_path: Path, content: str) -> None:
    with pytest.raises(ToolOutputError, match="Checkov"):
        parse_report_text(checkov, content, tmp_path)


@pytest.mark.scanner
def test_real_run(sample_run: SampleRun) -> None:
    root, run = sample_run(checkov)
    assert run.outcome.exit_code == 1 and run.verdict.ok, run.verdict.reason
    findings = run.findings(checkov, root)
    assert {"CKV_AWS_20", "CKV_AWS_24", "CKV_DOCKER_8"} <= {f.rule_id for f in findings}
    assert {f.file_path for f in findings} == {
        "iac/main.tf",
        "docker/Dockerfile",
        "docker/worker/Dockerfile",
    }


def test_each_failed_check_keeps_its_own_reports_check_type(tmp_path: Path) -> None:
    def report(check_type: str, *ids: str) -> dict[str, object]:
        checks = [{"check_id": i, "file_path": "/x", "resource": "r"} for i in ids]
        return {"check_type": check_type, "results": {"failed_checks": checks}}

    output = tmp_path / "out.json"
    output.write_text(
        json.dumps(
            [
                {"passed": 0, "failed": 0},  # a framework with nothing to scan
                report("terraform", "CKV_AWS_1", "CKV_AWS_2"),
                {"check_type": "helm", "results": {"failed_checks": []}},
                report("dockerfile", "CKV_DOCKER_1"),
            ]
        )
    )
    findings = list(checkov.parse(output_path=output, target=target_for(tmp_path)))
    assert [(f.rule_id, f.evidence["check_type"]) for f in findings] == [
        ("CKV_AWS_1", "terraform"),
        ("CKV_AWS_2", "terraform"),
        ("CKV_DOCKER_1", "dockerfile"),
    ]
