"""Writes to targets and target groups.

Identifiers and metadata are checked by `apps.targets.validators` for the target's asset type;
problems come back as field errors ("identifier", "metadata.<key>", "upload", "name",
"targets") in the API's common error format. Uploaded archives are stored in media storage and
their files removed once the target that holds them is deleted or re-uploaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import Storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from apps.projects.models import Project
from apps.targets.credentials import (
    HTTPS_TOKEN,
    SSH_KEY,
    credential_encrypt,
    validate_credential,
)
from apps.targets.models import AssetType, TargetAsset, TargetGroup
from apps.targets.refs import ref_validate
from apps.targets.validators import validate_archive_upload, validate_target_spec

DEFAULT_UPLOAD_MAX_BYTES = 200 * 1024 * 1024
NAME_TAKEN = "A target with this name already exists in this project."
GROUP_NAME_TAKEN = "A target group with this name already exists in this project."


def _upload_max_bytes() -> int:
    return int(getattr(settings, "SECULITE_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


def _codebase_roots() -> list[str] | None:
    roots = settings.SECULITE_ALLOWED_PATHS
    return [str(root) for root in roots] if roots else None


def _merge(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def _check_upload(upload: UploadedFile) -> str:
    """The sanitised file name of a valid archive upload; field error "upload" otherwise."""
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    try:
        return validate_archive_upload(
            filename=upload.name or "",
            size=upload.size or 0,
            head=head,
            max_bytes=_upload_max_bytes(),
        )
    except ValidationError as exc:
        raise ValidationError({"upload": exc.messages}) from exc


def _delete_file_on_commit(storage: Storage, name: str) -> None:
    """Remove a stored upload once the change that dropped it is committed."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _credential_change(
    *,
    asset_type: str,
    current_kind: str,
    kind: str | None,
    secret: str | None,
    username: str | None,
) -> tuple[str, str] | None:
    """The (kind, encrypted secret) to store: ("", "") removes the credential, None keeps it.

    The secret is encrypted here and never kept anywhere else; field errors name the
    credential_* input that is wrong.
    """
    if kind is None and secret is None and username is None:
        return None
    if asset_type != AssetType.GIT_REPOSITORY:
        raise ValidationError(
            {"credential_kind": ["Only git_repository targets take a credential."]}
        )
    if kind == "":
        return "", ""
    credential = validate_credential(
        kind=kind or current_kind, secret=secret or "", username=username or ""
    )
    return credential.kind, credential_encrypt(credential)


def _credential_fits_url(kind: str, url: str) -> list[str]:
    """Errors when the credential cannot be used with the URL's transport."""
    if not kind:
        return []
    https = url.lower().startswith("https://")
    if kind == HTTPS_TOKEN and not https:
        return ["A token is sent over https:// only; use the repository's https:// URL."]
    if kind == SSH_KEY and https:
        return ["A deploy key needs an ssh:// or git@host:path URL."]
    return []


def _default_branch(value: str, errors: dict[str, list[str]]) -> str:
    """`value` as a valid ref ("" allowed); a field error "default_branch" otherwise."""
    try:
        return ref_validate(value)
    except ValidationError as exc:
        errors.setdefault("default_branch", []).extend(exc.messages)
        return ""


def _name_taken(project: Project, name: str, exclude_id: int | None = None) -> bool:
    queryset = TargetAsset.objects.filter(project=project, name=name)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def _save_target(target: TargetAsset, *, upload: UploadedFile | None, stored_name: str) -> None:
    """Store the upload (if any), then the row; a failed row leaves no orphan file behind."""
    if upload is not None:
        target.upload.save(stored_name, upload, save=False)
    try:
        with transaction.atomic():
            target.save()
    except IntegrityError as exc:
        if upload is not None and target.upload.name:
            target.upload.storage.delete(target.upload.name)
        raise ValidationError({"name": [NAME_TAKEN]}) from exc


@transaction.atomic
def target_create(
    *,
    project: Project,
    user: Any,
    name: str,
    asset_type: str,
    identifier: str = "",
    description: str = "",
    metadata: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
    is_active: bool = True,
    default_branch: str = "",
    credential_kind: str | None = None,
    credential_secret: str | None = None,
    credential_username: str | None = None,
) -> TargetAsset:
    """Add a target to `project` after validating it for its asset type.

    A file_upload target needs `upload` (a .zip/.tar/.tar.gz/.tgz archive within
    SECULITE_UPLOAD_MAX_BYTES) and takes its identifier from the file's sanitised name; every
    other type refuses an upload. A git_repository target may get a credential (an HTTPS token
    or SSH deploy key), stored encrypted.
    """
    errors: dict[str, list[str]] = {}
    stored_name = ""
    credential: tuple[str, str] | None = None
    try:
        credential = _credential_change(
            asset_type=asset_type,
            current_kind="",
            kind=credential_kind,
            secret=credential_secret,
            username=credential_username,
        )
    except ValidationError as exc:
        _merge(errors, exc)
    if asset_type == AssetType.FILE_UPLOAD:
        if upload is None:
            errors["upload"] = ["Upload a .zip, .tar, .tar.gz or .tgz archive."]
        else:
            try:
                stored_name = identifier = _check_upload(upload)
            except ValidationError as exc:
                _merge(errors, exc)
    elif upload is not None:
        errors["upload"] = ["Only file_upload targets take an uploaded file."]
    try:
        identifier, metadata = validate_target_spec(
            asset_type=asset_type,
            identifier=identifier,
            metadata=metadata,
            codebase_roots=_codebase_roots(),
        )
    except ValidationError as exc:
        _merge(errors, exc)
    default_branch = _default_branch(default_branch, errors)
    kind = credential[0] if credential is not None else ""
    if "identifier" not in errors and (problems := _credential_fits_url(kind, identifier)):
        errors.setdefault("credential_kind", []).extend(problems)
    if _name_taken(project, name):
        errors["name"] = [NAME_TAKEN]
    if errors:
        raise ValidationError(errors)

    target = TargetAsset(
        project=project,
        name=name,
        asset_type=asset_type,
        identifier=identifier,
        description=description,
        metadata=metadata,
        is_active=is_active,
        default_branch=default_branch,
        created_by=user,
    )
    if credential is not None:
        target.credential_kind, target.credential_encrypted = credential
    _save_target(target, upload=upload, stored_name=stored_name)
    return target


@transaction.atomic
def target_update(
    *,
    target: TargetAsset,
    name: str | None = None,
    asset_type: str | None = None,
    identifier: str | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    upload: UploadedFile | None = None,
    is_active: bool | None = None,
    default_branch: str | None = None,
    credential_kind: str | None = None,
    credential_secret: str | None = None,
    credential_username: str | None = None,
) -> TargetAsset:
    """Change the given fields of a target; identifier and metadata are re-validated together.

    The asset type is fixed once created. A file_upload target may receive a new archive,
    which replaces the stored one (the old file is deleted after commit). A credential is
    replaced by a new secret, removed by an empty `credential_kind`, and kept otherwise.
    """
    errors: dict[str, list[str]] = {}
    credential: tuple[str, str] | None = None
    try:
        credential = _credential_change(
            asset_type=target.asset_type,
            current_kind=target.credential_kind,
            kind=credential_kind,
            secret=credential_secret,
            username=credential_username,
        )
    except ValidationError as exc:
        _merge(errors, exc)
    if asset_type is not None and asset_type != target.asset_type:
        errors["asset_type"] = ["The type of a target cannot change; create a new target."]
    new_identifier = target.identifier if identifier is None else identifier
    stored_name = ""
    if upload is not None:
        if target.asset_type != AssetType.FILE_UPLOAD:
            errors["upload"] = ["Only file_upload targets take an uploaded file."]
        else:
            try:
                stored_name = new_identifier = _check_upload(upload)
            except ValidationError as exc:
                _merge(errors, exc)
    elif target.asset_type == AssetType.FILE_UPLOAD:
        new_identifier = target.identifier  # set from the archive, not by hand
    try:
        new_identifier, new_metadata = validate_target_spec(
            asset_type=target.asset_type,
            identifier=new_identifier,
            metadata=target.metadata if metadata is None else metadata,
            codebase_roots=_codebase_roots(),
        )
    except ValidationError as exc:
        _merge(errors, exc)
    if default_branch is not None:
        default_branch = _default_branch(default_branch, errors)
    kind = credential[0] if credential is not None else target.credential_kind
    checked = "identifier" not in errors and "credential_kind" not in errors
    if checked and (problems := _credential_fits_url(kind, new_identifier)):
        errors.setdefault("credential_kind", []).extend(problems)
    if name is not None and _name_taken(target.project, name, exclude_id=target.pk):
        errors["name"] = [NAME_TAKEN]
    if errors:
        raise ValidationError(errors)

    old_file = target.upload.name if upload is not None and target.upload else ""
    if name is not None:
        target.name = name
    if description is not None:
        target.description = description
    if is_active is not None:
        target.is_active = is_active
    if default_branch is not None:
        target.default_branch = default_branch
    target.identifier = new_identifier
    target.metadata = new_metadata
    if credential is not None:
        target.credential_kind, target.credential_encrypted = credential
    _save_target(target, upload=upload, stored_name=stored_name)
    if old_file and old_file != target.upload.name:
        _delete_file_on_commit(target.upload.storage, old_file)
    return target


@transaction.atomic
def target_delete(*, target: TargetAsset) -> None:
    """Delete a target (it leaves its groups and configurations) and its uploaded archive."""
    storage, stored = target.upload.storage, target.upload.name or ""
    target.delete()
    _delete_file_on_commit(storage, stored)


def _project_targets(project: Project, target_ids: Iterable[int]) -> list[TargetAsset]:
    """The targets with these ids, all of which must belong to `project`.

    An id of another project's target gets the same message as an unknown id, so the
    response tells nothing about other projects.
    """
    wanted = list(dict.fromkeys(target_ids))
    found = {t.pk: t for t in TargetAsset.objects.filter(project=project, pk__in=wanted)}
    missing = [target_id for target_id in wanted if target_id not in found]
    if missing:
        listed = ", ".join(str(target_id) for target_id in missing)
        raise ValidationError({"targets": [f"No target with id {listed} in this project."]})
    return [found[target_id] for target_id in wanted]


def _group_name_taken(project: Project, name: str, exclude_id: int | None = None) -> bool:
    queryset = TargetGroup.objects.filter(project=project, name=name)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def _save_group(group: TargetGroup) -> None:
    try:
        with transaction.atomic():
            group.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [GROUP_NAME_TAKEN]}) from exc


@transaction.atomic
def target_group_create(
    *,
    project: Project,
    name: str,
    description: str = "",
    target_ids: Iterable[int] = (),
) -> TargetGroup:
    """Create a group of targets of `project`."""
    errors: dict[str, list[str]] = {}
    targets: list[TargetAsset] = []
    try:
        targets = _project_targets(project, target_ids)
    except ValidationError as exc:
        _merge(errors, exc)
    if _group_name_taken(project, name):
        errors["name"] = [GROUP_NAME_TAKEN]
    if errors:
        raise ValidationError(errors)
    group = TargetGroup(project=project, name=name, description=description)
    _save_group(group)
    group.targets.set(targets)
    return group


@transaction.atomic
def target_group_update(
    *,
    group: TargetGroup,
    name: str | None = None,
    description: str | None = None,
    target_ids: Iterable[int] | None = None,
) -> TargetGroup:
    """Change a group's name, description or (replacing them all) its targets."""
    errors: dict[str, list[str]] = {}
    targets: list[TargetAsset] | None = None
    if target_ids is not None:
        try:
            targets = _project_targets(group.project, target_ids)
        except ValidationError as exc:
            _merge(errors, exc)
    if name is not None and _group_name_taken(group.project, name, exclude_id=group.pk):
        errors["name"] = [GROUP_NAME_TAKEN]
    if errors:
        raise ValidationError(errors)
    if name is not None:
        group.name = name
    if description is not None:
        group.description = description
    _save_group(group)
    if targets is not None:
        group.targets.set(targets)
    return group


def target_group_delete(*, group: TargetGroup) -> None:
    """Delete a group; its targets stay."""
    group.delete()
