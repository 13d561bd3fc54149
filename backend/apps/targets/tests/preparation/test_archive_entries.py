"""Every archive entry counts towards the file limit: folders, and the folders a path implies."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from apps.targets.preparation import TargetPreparationError, extract_archive


def _zip(path: Path, names: list[str]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name in names:
            zf.writestr(name, b"" if name.endswith("/") else b"x")
    return path


def _tar(path: Path, dirs: list[str]) -> Path:
    with tarfile.open(path, "w") as tf:
        for name in dirs:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            tf.addfile(info)
    return path


def test_empty_folders_in_a_zip_count_towards_the_limit(tmp_path):
    archive = _zip(tmp_path / "dirs.zip", [f"d{i}/" for i in range(50)])
    with pytest.raises(TargetPreparationError, match="more than 10 files"):
        extract_archive(archive, tmp_path / "out", max_files=10)
    assert len(list((tmp_path / "out").iterdir())) <= 10


def test_empty_folders_in_a_tar_count_towards_the_limit(tmp_path):
    archive = _tar(tmp_path / "dirs.tar", [f"d{i}" for i in range(50)])
    with pytest.raises(TargetPreparationError, match="more than 10 files"):
        extract_archive(archive, tmp_path / "out", max_files=10)
    assert len(list((tmp_path / "out").iterdir())) <= 10


def test_folders_implied_by_a_deep_path_count_too(tmp_path):
    deep = "/".join(f"d{i}" for i in range(40)) + "/file.txt"
    archive = _zip(tmp_path / "deep.zip", [deep])
    with pytest.raises(TargetPreparationError, match="more than 10 files"):
        extract_archive(archive, tmp_path / "out", max_files=10)


def test_an_archive_within_the_limit_extracts_with_its_folders(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("src/", b"")
        zf.writestr("src/app.py", b"print(1)\n")
        zf.writestr("docs/empty/", b"")
    (tmp_path / "ok.zip").write_bytes(buffer.getvalue())
    # src/, src/app.py, docs/, docs/empty/: four entries.
    out = extract_archive(tmp_path / "ok.zip", tmp_path / "out", max_files=4)
    assert (out / "src" / "app.py").read_text() == "print(1)\n"
    assert (out / "docs" / "empty").is_dir()
