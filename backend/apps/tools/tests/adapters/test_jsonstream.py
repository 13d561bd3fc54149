"""The streaming JSON readers: valid, empty, wrongly shaped and truncated documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from apps.tools.adapters import jsonstream
from apps.tools.adapters.base import ToolOutputError


def _write(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "report.json"
    path.write_text(content)
    return path


def test_stream_json_array(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"a": 1.5}, 2, "x"]')
    assert list(jsonstream.stream_json_array(path, "t")) == [{"a": 1.5}, 2, "x"]
    assert list(jsonstream.stream_json_array(_write(tmp_path, " \n[]"), "t")) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "wrote no output"),
        ('{"items": []}', "unexpected shape: the report should be a list, not dict"),
        ('"text"', "not str"),
        ("[1, {", "not valid JSON"),
        ("[1] trailing", "not valid JSON"),
        ("Traceback (most recent call last):", "not valid JSON"),
    ],
)
def test_stream_json_array_refuses(tmp_path: Path, content: str, message: str) -> None:
    with pytest.raises(ToolOutputError, match=message):
        list(jsonstream.stream_json_array(_write(tmp_path, content), "t"))


def test_stream_json_array_custom_shape_error_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ToolOutputError, match=r"^use the flat format$"):
        jsonstream.stream_json_array(_write(tmp_path, "{}"), "t", shape_error="use the flat format")
    with pytest.raises(ToolOutputError, match="is missing"):
        jsonstream.stream_json_array(tmp_path / "absent.json", "t")


def test_json_kind_and_value(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"v": 2, "big": {"x": [1, 2]}, "n": null, "meta": {"total": 3}}')
    assert jsonstream.json_kind(path, "t") == "dict"
    assert jsonstream.json_kind(path, "t", "v") == "int"
    assert jsonstream.json_kind(path, "t", "big") == "dict"
    assert jsonstream.json_kind(path, "t", "n") == "NoneType"
    assert jsonstream.json_kind(path, "t", "absent") is None
    assert jsonstream.json_value(path, "t", "meta") == {"total": 3}
    assert jsonstream.json_value(path, "t", "absent", "default") == "default"
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        jsonstream.json_value(_write(tmp_path, '{"v": '), "t", "meta")


def test_big_integers_need_exact_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"keys": [{"rsa_n": 123456789012345678901234567890}]}')
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        list(jsonstream.stream_json_items(path, "t", "keys.item", expect_keys=None))
    [key] = jsonstream.stream_json_items(path, "t", "keys.item", expect_keys=None, use_float=False)
    assert key == {"rsa_n": 123456789012345678901234567890}


def test_outline_matches_items_to_their_containers_in_any_key_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """{"runs": [
            {"results": [{"id": 1}, {"id": 2}], "tool": {"name": "after"}},
            {"results": []},
            {"tool": {"name": "before"}, "results": [{"id": 3}]},
            {"tool": null, "results": [{"id": 4}, "bad", {"id": 5}]}
        ]}""",
    )
    outline = jsonstream.json_outline(
        path, "t", container="runs.item", array="runs.item.results", fields=("tool",),
        kinds=("results",), top=("", "runs"),
    )  # fmt: skip
    assert outline.kinds == {"": "dict", "runs": "list"}
    runs = outline.containers
    assert [run.fields.get("tool") for run in runs] == [
        {"name": "after"},
        None,
        {"name": "before"},
        None,
    ]
    assert [run.count for run in runs] == [2, 0, 1, 3]
    assert [run.bad_item for run in runs] == ["", "", "", "str"]
    assert runs[0].keys == ["results", "tool"] and runs[1].kinds == {"results": "list"}
    items = jsonstream.stream_outlined_items(path, "t", outline, "runs.item.results")
    assert list(items) == [(0, {"id": 1}), (0, {"id": 2}), (2, {"id": 3}), (3, {"id": 4}),
                           (3, "bad"), (3, {"id": 5})]  # fmt: skip


def test_outline_of_a_top_level_container_and_of_garbage(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"check_type": "k8s", "results": {"failed_checks": [{}, {}]}}')
    outline = jsonstream.json_outline(
        path, "t", container="", array="results.failed_checks", fields=("check_type",)
    )
    [report] = outline.containers
    assert (report.kind, report.fields, report.count) == ("dict", {"check_type": "k8s"}, 2)
    with pytest.raises(ToolOutputError, match="not valid JSON"):
        jsonstream.json_outline(
            _write(tmp_path, '{"results": {"failed_checks": [{}'), "t", container="",
            array="results.failed_checks",
        )  # fmt: skip
    with pytest.raises(ToolOutputError, match="wrote no output"):
        jsonstream.json_outline(_write(tmp_path, ""), "t", container="", array="x")
