"""Include/exclude paths: glob semantics and the filtered tree preparation hands to tools."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from apps.targets.pathfilter import PathFilter, glob_compile
from apps.targets.preparation import TargetPreparationError, prepare_target
from apps.targets.validators import validate_path_globs

TREE = (
    "setup.py",
    "src/app.py",
    "src/util/helpers.py",
    "src/util/helpers_test.py",
    "src/static/app.min.js",
    "src/static/app.js",
    "vendor/lib.py",
    "src/vendor/inner.py",
    "docs/index.md",
    "tests/test_app.py",
    "Dockerfile",
)


def make_tree(root: Path, files: tuple[str, ...] = TREE) -> Path:
    for relative in files:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# {relative}\n")
    return root


def files_under(root: Path) -> set[str]:
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def kept(include: list[str] | None = None, exclude: list[str] | None = None) -> set[str]:
    path_filter = PathFilter.from_metadata(
        {"include_paths": include or [], "exclude_paths": exclude or []}
    )
    assert path_filter is not None
    return {relative for relative in TREE if path_filter.keeps(relative)}


@pytest.mark.parametrize(
    ("include", "exclude", "expected"),
    [
        # A folder name without "/" matches at any depth, with or without a trailing slash.
        (None, ["vendor"], set(TREE) - {"vendor/lib.py", "src/vendor/inner.py"}),
        (None, ["vendor/"], set(TREE) - {"vendor/lib.py", "src/vendor/inner.py"}),
        # With a "/" the pattern is anchored at the root.
        (None, ["vendor/**"], set(TREE) - {"vendor/lib.py"}),
        (None, ["src/vendor"], set(TREE) - {"src/vendor/inner.py"}),
        (
            None,
            ["*.min.js", "**/*_test.py"],
            set(TREE)
            - {
                "src/static/app.min.js",
                "src/util/helpers_test.py",
            },
        ),
        (
            ["src/**/*.py"],
            None,
            {
                "src/app.py",
                "src/util/helpers.py",
                "src/util/helpers_test.py",
                "src/vendor/inner.py",
            },
        ),
        (["src/*.py"], None, {"src/app.py"}),
        (
            ["src"],
            ["vendor", "static"],
            {
                "src/app.py",
                "src/util/helpers.py",
                "src/util/helpers_test.py",
            },
        ),
        (["Dockerfile", "setup.py"], None, {"Dockerfile", "setup.py"}),
        (["src/util/helpers?py"], None, {"src/util/helpers.py"}),
        (
            ["src/[au]*"],
            None,
            {
                "src/app.py",
                "src/util/helpers.py",
                "src/util/helpers_test.py",
            },
        ),
        (["./docs/", "tests\\test_app.py"], None, {"docs/index.md", "tests/test_app.py"}),
        # Exclude wins over include.
        (
            ["src/**"],
            ["src/util/**"],
            {
                "src/app.py",
                "src/static/app.min.js",
                "src/static/app.js",
                "src/vendor/inner.py",
            },
        ),
    ],
)
def test_glob_semantics(include, exclude, expected) -> None:
    assert kept(include, exclude) == expected


def test_trailing_slash_matches_only_directories() -> None:
    assert not glob_compile("Dockerfile/").matches("Dockerfile")
    assert glob_compile("Dockerfile").matches("Dockerfile")


def test_matching_is_case_sensitive() -> None:
    assert not glob_compile("SRC/**").matches("src/app.py")


def test_patterns_the_validator_accepts_all_compile() -> None:
    patterns = validate_path_globs(
        ["src/**/*.py", "**/test_*", "[!a]*", "a[", "docs\\*.md", "x/**/y/**", "*"]
    )
    for pattern in patterns:
        glob_compile(pattern)


def test_no_filters_means_no_filter() -> None:
    assert PathFilter.from_metadata({}) is None
    assert PathFilter.from_metadata({"branch": "main"}) is None
    assert PathFilter.from_metadata(None) is None


def codebase_target(path: Path, **metadata: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        asset_type="codebase_path", identifier=str(path), metadata=metadata, upload=None
    )


def test_prepared_codebase_holds_only_the_kept_files(tmp_path, settings) -> None:
    source = make_tree(tmp_path / "code")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path / "code")]
    target = codebase_target(source, include_paths=["src/**"], exclude_paths=["vendor", "*.js"])

    prepared = prepare_target(target, workdir=tmp_path / "work")

    assert prepared.path is not None and prepared.path != source
    assert files_under(prepared.path) == {
        "src/app.py",
        "src/util/helpers.py",
        "src/util/helpers_test.py",
    }
    assert (prepared.path / "src/app.py").read_text() == "# src/app.py\n"
    # The user's tree is untouched and shares no inode with the copy.
    assert files_under(source) == set(TREE)
    assert (prepared.path / "src/app.py").stat().st_ino != (source / "src/app.py").stat().st_ino


def test_prepared_codebase_without_filters_is_scanned_in_place(tmp_path, settings) -> None:
    source = make_tree(tmp_path / "code")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path / "code")]
    prepared = prepare_target(codebase_target(source), workdir=tmp_path / "work")
    assert prepared.path == source.resolve()


def test_filters_that_leave_nothing_fail_preparation_clearly(tmp_path, settings) -> None:
    source = make_tree(tmp_path / "code")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path / "code")]
    target = codebase_target(source, include_paths=["app/**"])
    with pytest.raises(TargetPreparationError, match=r"No file .*\(include_paths: app/\*\*\)"):
        prepare_target(target, workdir=tmp_path / "work")


def test_links_and_vcs_metadata_are_never_copied(tmp_path, settings) -> None:
    source = make_tree(tmp_path / "code", ("src/app.py", ".git/config"))
    secret = tmp_path / "outside.txt"
    secret.write_text("secret")
    os.symlink(secret, source / "src" / "leak.txt")
    os.symlink(tmp_path, source / "src" / "up")
    settings.SECULITE_ALLOWED_PATHS = [str(tmp_path / "code")]
    target = codebase_target(source, exclude_paths=["docs"])

    prepared = prepare_target(target, workdir=tmp_path / "work")

    assert prepared.path is not None
    assert files_under(prepared.path) == {"src/app.py"}


def test_uploaded_archive_is_filtered_with_hard_links(tmp_path, settings) -> None:
    import zipfile

    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for relative in TREE:
            zf.writestr(relative, f"# {relative}\n")
    target = SimpleNamespace(
        asset_type="file_upload",
        identifier="src.zip",
        metadata={"exclude_paths": ["tests/", "docs"]},
        upload=SimpleNamespace(path=str(archive)),
    )

    prepared = prepare_target(target, workdir=tmp_path / "work")

    assert prepared.path is not None
    assert files_under(prepared.path) == set(TREE) - {"tests/test_app.py", "docs/index.md"}
    assert (prepared.path / "src/app.py").read_text() == "# src/app.py\n"
