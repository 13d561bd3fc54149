"""The checks of an import request, before anything is stored: the format, the size, the ref,
commit and source root, and the target (an existing one, or one found or created by name).
Each failure is a ValidationError on the request's field (or a 413 for a report too large)."""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from apps.common.errors import ServiceError
from apps.imports.formats import ImportFormat, import_format_get, import_formats
from apps.imports.paths import source_root_validate
from apps.projects.models import Project
from apps.targets.models import AssetType, TargetAsset
from apps.targets.refs import ref_validate
from apps.targets.services import target_create

DEFAULT_IMPORT_MAX_BYTES = 1024**3
CHUNK_BYTES = 1024 * 1024
_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def import_max_bytes() -> int:
    return int(getattr(settings, "SECULITE_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))


def format_or_error(format_id: str) -> ImportFormat:
    fmt = import_format_get(format_id)
    if fmt is None:
        known = ", ".join(f.id for f in import_formats())
        raise ValidationError({"format": [f"Unknown format '{format_id[:64]}'. Known: {known}."]})
    return fmt


def upload_report_name(upload: Any) -> str:
    name = Path(str(getattr(upload, "name", "") or "report")).name
    return _CONTROL.sub("", name)[:255] or "report"


def check_size(upload: Any, fmt: ImportFormat) -> None:
    size = int(upload.size or 0)
    limit = import_max_bytes()
    if size > limit:
        raise ServiceError(
            f"The report is {size} bytes; this server imports reports of at most {limit} bytes "
            "(SECULITE_IMPORT_MAX_BYTES).",
            code="request_too_large",
            status_code=413,
        )
    if size == 0 and not fmt.empty_ok:
        raise ValidationError({"file": ["The file is empty: upload the tool's report."]})


def find_target(
    *, project: Project, target: TargetAsset | None, target_id: int | None
) -> TargetAsset | None:
    if target is not None:
        if target.project_id != project.pk:
            raise ValidationError({"target": ["No such target in this project."]})
        return target
    if target_id is None:
        return None
    found = TargetAsset.objects.filter(project=project, pk=target_id).first()
    if found is None:
        raise ValidationError({"target": [f"No target with id {target_id} in this project."]})
    return found


# target_create's field names → the import request's.
_TARGET_FIELDS = {"identifier": "target_identifier", "name": "target_name",
                  "asset_type": "target_type"}  # fmt: skip


def target_by_name(
    *, project: Project, user: Any, name: str, asset_type: str, identifier: str
) -> TargetAsset:
    """The project's target called `name` (which must be of `asset_type`), else a new one."""
    if not name or not asset_type:
        raise ValidationError(
            {"target": ["Give a target id, or target_name and target_type to find or create it."]}
        )
    existing = TargetAsset.objects.filter(project=project, name=name).first()
    if existing is not None:
        if existing.asset_type != asset_type:
            message = f"The target '{name}' is a {existing.asset_type} target, not {asset_type}."
            raise ValidationError({"target_type": [message]})
        return existing
    if asset_type == AssetType.FILE_UPLOAD:
        message = (
            "A file_upload target is created with its archive on the targets page (or POST "
            ".../targets/); then import into it by id."
        )
        raise ValidationError({"target_type": [message]})
    if not identifier:
        message = (
            f"A new {asset_type} target needs its identifier (the repository URL, path, URL, "
            "image, range or domain)."
        )
        raise ValidationError({"target_identifier": [message]})
    try:
        return target_create(
            project=project, user=user, name=name, asset_type=asset_type, identifier=identifier
        )
    except ValidationError as exc:
        errors = {
            _TARGET_FIELDS.get(field, f"target_{field}"): messages
            for field, messages in exc.message_dict.items()
        }
        raise ValidationError(errors) from exc


def check_commit(commit: str) -> str:
    commit = commit.strip()
    if commit and not _COMMIT.fullmatch(commit):
        raise ValidationError({"commit": ["Give the commit as 7 to 64 hexadecimal digits."]})
    return commit.lower()


def check_source_root(root: str) -> str:
    try:
        return source_root_validate(root)
    except ValidationError as exc:
        raise ValidationError({"source_root": exc.messages}) from exc


def check_ref(ref: str) -> str:
    try:
        return ref_validate(ref or "")
    except ValidationError as exc:
        raise ValidationError({"ref": exc.messages}) from exc


@contextlib.contextmanager
def local_copy(upload: Any) -> Iterator[Path]:
    """A path to the upload's bytes: Django's temporary file when it has one, else a copy."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.NamedTemporaryFile(prefix="seculite-import-") as copy:
        upload.seek(0)
        for chunk in upload.chunks(CHUNK_BYTES):
            copy.write(chunk)
        copy.flush()
        upload.seek(0)
        yield Path(copy.name)
