"""Shared helpers of the dependency/image/DAST/TLS/network adapters, and their schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from apps.tools.adapters import toolkit
from apps.tools.adapters.base import BaseAdapter, PreparedTarget, ToolAdapter, ToolOutputError
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.tests.adapters.recorded import SAMPLES

MINE = (
    "pip_audit",
    "npm_audit",
    "osv_scanner",
    "trivy_fs",
    "trivy_image",
    "grype",
    "gitleaks",
    "wapiti",
    "zap_baseline",
    "nuclei",
    "sslyze",
    "testssl",
    "nmap",
)


@pytest.mark.parametrize("tool_id", MINE)
def test_registered_with_valid_schema_defaults_and_samples(tool_id: str) -> None:
    adapter: ToolAdapter = ADAPTERS[tool_id]
    assert isinstance(adapter, ToolAdapter)
    Draft202012Validator.check_schema(adapter.config_schema)
    assert adapter.config_schema["additionalProperties"] is False
    assert not list(Draft202012Validator(adapter.config_schema).iter_errors(adapter.default_config))
    assert adapter.supported_asset_types
    assert adapter.__doc__ and "ingerprint" in type(adapter).__doc__  # type: ignore[operator]
    for variant in ("empty", "one", "many"):
        assert list((SAMPLES / tool_id).glob(f"{variant}.*")), f"{tool_id}/{variant} sample"


def test_validated_config_rejects_unknown_keys() -> None:
    adapter = ADAPTERS["nmap"]
    assert isinstance(adapter, BaseAdapter)
    with pytest.raises(ValueError, match="invalid nmap config"):
        toolkit.validated_config(adapter, {"extra_args": ["--script=x"]})


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Shop.test/a//b/?q=1#x", "/a/b"),
        ("http://h.test", "/"),
        ("http://h.test/%7Euser/", "/~user"),
        ("/relative/path/", "/relative/path"),
    ],
)
def test_url_path_key(url: str, key: str) -> None:
    assert toolkit.url_path_key(url) == key


@pytest.mark.parametrize(
    "host", ["-x", "--script=vuln", "a b", "a\nb", "exa$mple.com", "", "x" * 300]
)
def test_require_hostname_rejects(host: str) -> None:
    with pytest.raises(ValueError):
        toolkit.require_hostname(host)


def test_require_hostname_accepts() -> None:
    assert toolkit.require_hostname("Example.TEST.") == "example.test"
    assert toolkit.require_hostname("[::1]") == "::1"
    assert toolkit.require_hostname("127.0.0.1") == "127.0.0.1"


def test_require_relative_file(tmp_path: Path) -> None:
    (tmp_path / "req").mkdir()
    assert toolkit.require_relative_file(tmp_path, "req/base.txt") == tmp_path / "req/base.txt"
    for bad in ("../x", "/etc/passwd", "-r", "a/../../b"):
        with pytest.raises(ValueError):
            toolkit.require_relative_file(tmp_path, bad)


def test_require_tree(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        toolkit.require_tree(PreparedTarget(asset_type="codebase_path", identifier="x"))
    with pytest.raises(ValueError):
        toolkit.require_tree(
            PreparedTarget(asset_type="codebase_path", identifier="x", path=tmp_path / "missing")
        )


def test_stream_json_items_checks_the_document(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"matches": [{"a": 1.5}, {"a": 2}]}')
    assert list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",))) == [
        {"a": 1.5},
        {"a": 2},
    ]
    out.write_text('{"other": []}')
    with pytest.raises(ToolOutputError, match="does not look like"):
        list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",)))
    out.write_text('{"matches": [{"a": 1}')
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",)))


def test_read_text_refuses_oversized_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"a": 1}')
    monkeypatch.setattr(toolkit, "MAX_JSON_BYTES", 4)
    with pytest.raises(ToolOutputError, match="over the"):
        toolkit.read_text(out, "t", limit=toolkit.MAX_JSON_BYTES)


def test_severity_from_score() -> None:
    assert [toolkit.severity_from_score(s) for s in (9.8, 7.0, 5.3, 0.1, 0.0, None)] == [
        "critical",
        "high",
        "medium",
        "low",
        "informational",
        "unknown",
    ]


def test_stream_json_items_accepts_an_empty_list_and_refuses_other_shapes(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"errors": [], "matches": []}')
    assert list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",))) == []
    for other in ('[{"matches": []}]', '"matches"', "{}"):
        out.write_text(other)
        with pytest.raises(ToolOutputError, match="does not look like"):
            list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",)))
    out.write_text("")
    with pytest.raises(ToolOutputError, match="empty"):
        list(toolkit.stream_json_items(out, "t", "matches.item", expect_keys=("matches",)))


def test_stream_json_kvitems_yields_pairs_one_at_a_time(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text('{"results": {"a.py": [{"line": 1}], "b.py": []}, "version": "1"}')
    pairs = toolkit.stream_json_kvitems(out, "t", "results", expect_keys=("results",))
    assert list(pairs) == [("a.py", [{"line": 1}]), ("b.py", [])]
    out.write_text('{"results": {"a.py": [}')
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        list(toolkit.stream_json_kvitems(out, "t", "results", expect_keys=("results",)))
