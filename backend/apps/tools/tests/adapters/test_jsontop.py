"""The one-pass reader of a JSON object's top-level keys (`jsontop.stream_top_level`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from apps.tools.adapters import jsontop
from apps.tools.adapters.base import ToolOutputError


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "report.json"
    path.write_text(content, encoding="utf-8")
    return path


def test_streams_the_chosen_arrays_item_by_item_and_other_keys_whole(tmp_path: Path) -> None:
    report = {
        "version": "1.0",
        "results": [{"n": i, "text": "é" * (i % 7) + '"\\{[' * (i % 3)} for i in range(500)],
        "errors": [],
        "paths": {"scanned": ["a.py", "b.py"]},
        "n": 1.5,
    }
    path = _write(tmp_path, json.dumps(report, indent=1, ensure_ascii=False))
    seen = list(
        jsontop.stream_top_level(
            path, "Tool", streamed={"results", "errors"}, expect_keys={"results"}, chunk=64
        )
    )
    assert [value for key, value in seen if key == "results"] == report["results"]
    assert ("paths", {"scanned": ["a.py", "b.py"]}) in seen
    assert ("version", "1.0") in seen
    assert ("n", 1.5) in seen
    assert not [key for key, _ in seen if key == "errors"]
    # Numbers cut by a chunk boundary are read whole.
    path = _write(tmp_path, '{"results": [' + ", ".join(["123456.789e-2"] * 50) + "]}")
    read = jsontop.stream_top_level(path, "Tool", streamed={"results"}, expect_keys={"results"},
                                    chunk=5)  # fmt: skip
    assert [value for _, value in read] == [1234.56789] * 50
    # A streamed key whose value is not an array comes whole.
    path = _write(tmp_path, '{"results": {"a": 1}}')
    read = jsontop.stream_top_level(path, "Tool", streamed={"results"}, expect_keys={"results"})
    assert list(read) == [("results", {"a": 1})]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"results": [{"a": 1}, {"b": ]}', "Tool report is not valid JSON"),
        ('{"results": [{"a": 1}', "Tool report is not valid JSON"),
        ('{"results": [{"a": NaN}]}', "Tool report is not valid JSON"),
        ('{"results": [1 2]}', "Tool report is not valid JSON"),
        ('{"results": []} trailing', "Tool report is not valid JSON"),
        ('{"results": "unterminated', "Tool report is not valid JSON"),
        ("[1, 2]", "Tool report does not look like Tool JSON output"),
        ('{"other": 1}', r"expected a top-level object with one of: results\)"),
        ('{"results": 1e', "Tool report is not valid JSON"),
        ("", "Tool wrote no output"),
    ],
)
def test_refuses_what_is_not_a_json_object(tmp_path: Path, content: str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(ToolOutputError, match=message):
        list(jsontop.stream_top_level(path, "Tool", streamed={"results"}, expect_keys={"results"},
                                      chunk=8))  # fmt: skip


def test_refuses_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(b'{"results": ["\xff\xfe"]}')
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        list(jsontop.stream_top_level(path, "Tool", streamed={"results"}, expect_keys=()))
