"""Refs: a target's default branch, and which refs a caller may name."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from apps.targets.models import TargetAsset
from apps.targets.refs import ref_validate, target_default_branch


@pytest.mark.parametrize(
    ("default_branch", "metadata", "expected"),
    [
        ("develop", {"branch": "release"}, "develop"),
        ("", {"branch": "release"}, "release"),
        ("", {"tag": "v1"}, "main"),
        ("", {}, "main"),
    ],
)
def test_the_default_branch_is_set_then_the_metadata_branch_then_main(
    default_branch, metadata, expected
):
    target = TargetAsset(default_branch=default_branch, metadata=metadata)
    assert target_default_branch(target) == expected


@pytest.mark.parametrize(
    "ref",
    [
        "main",
        "feature/x",
        "v1.2.0",
        "refs/heads/main",
        "refs/pull/12/head",
        "refs/merge-requests/3/head",
        "release-2026_01",
    ],
)
def test_ordinary_refs_are_accepted(ref):
    assert ref_validate(ref) == ref
    assert ref_validate(f"  {ref}\n") == ref


def test_a_blank_ref_means_the_default_branch():
    assert ref_validate("") == ""
    assert ref_validate("   ") == ""


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("-oProxyCommand=x", "cannot start with '-'"),
        ("/main", "cannot start with '/'"),
        ("main/", "nor end with '/'"),
        ("main.lock", "'.lock'"),
        ("main.", "'.'"),
        ("a..b", "'..'"),
        ("a@{1}", "'@{'"),
        ("a b", "spaces"),
        ("a\tb", "spaces"),
        ("a\x00b", "control characters"),
        ("a~1", "~ ^ :"),
        ("a^", "~ ^ :"),
        ("a:b", "~ ^ :"),
        ("a?", "~ ^ :"),
        ("a*", "~ ^ :"),
        ("a[b", "~ ^ :"),
        ("a\\b", "~ ^ :"),
        ("feature/.hidden", "start with '.'"),
        ("x" * 256, "at most 255 characters"),
    ],
)
def test_refs_git_would_refuse_are_refused_with_a_clear_message(ref, message):
    with pytest.raises(ValidationError) as caught:
        ref_validate(ref)
    assert message in caught.value.messages[0]


def test_a_ref_must_be_a_string():
    with pytest.raises(ValidationError):
        ref_validate(12)  # type: ignore[arg-type]
