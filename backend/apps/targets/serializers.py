"""Serializers for targets and target groups (shape only; rules live in validators/services)."""

from __future__ import annotations

from rest_framework import serializers

from apps.common.ids import IdField
from apps.targets.models import AssetType, TargetAsset, TargetGroup

METADATA_HELP = (
    "Options for the asset type. git_repository: one of branch, tag or commit (the full "
    "40-hex hash), include_paths, exclude_paths, source_url_template (where findings' files "
    "link to, e.g. {repo}/-/blob/{commit}/{path}#L{line}; github.com, gitlab.com and "
    "bitbucket.org need none); codebase_path and file_upload: include_paths, "
    "exclude_paths (lists of relative glob patterns); other types take none. In multipart "
    "requests, a JSON string."
)
IDENTIFIER_HELP = (
    "url: http(s) URL; git_repository: https://, ssh:// or git@host:path URL; codebase_path: "
    "absolute path; container_image: image reference; ip_range: address or CIDR; domain: host "
    "name. Ignored for file_upload, where it is set from the uploaded file's name."
)
UPLOAD_HELP = "file_upload only: a .zip, .tar, .tar.gz or .tgz archive (multipart request)."
DEFAULT_BRANCH_HELP = (
    "The branch whose scans drive the findings' lifecycle (auto-resolve, reopen); scans of "
    "other refs are compared with it. Empty: the git branch in metadata, else main."
)
CREDENTIAL_KIND_HELP = (
    "git_repository only: https_token or ssh_key sets the credential of a private repository "
    "(with credential_secret); an empty string removes it."
)
CREDENTIAL_VALUE_HELP = (
    "Write-only: the token, or the whole private deploy key (no passphrase). Stored encrypted "
    "and never returned."
)
CREDENTIAL_USERNAME_HELP = (
    "https_token only: the user name sent with the token (default x-access-token; GitLab "
    "accepts any, Bitbucket wants x-token-auth)."
)


class CredentialInputSerializer(serializers.Serializer):
    """The write-only credential inputs shared by create and update."""

    credential_kind = serializers.ChoiceField(
        choices=[("https_token", "HTTPS token"), ("ssh_key", "SSH deploy key")],
        required=False,
        allow_blank=True,
        help_text=CREDENTIAL_KIND_HELP,
    )
    credential_secret = serializers.CharField(
        required=False,
        write_only=True,
        max_length=16384,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=CREDENTIAL_VALUE_HELP,
    )
    credential_username = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        max_length=100,
        help_text=CREDENTIAL_USERNAME_HELP,
    )


class TargetOutputSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    has_upload = serializers.SerializerMethodField()
    has_credential = serializers.SerializerMethodField(
        help_text="Whether a credential is set; the secret itself is never returned."
    )

    class Meta:
        model = TargetAsset
        fields = [
            "id",
            "project",
            "name",
            "asset_type",
            "identifier",
            "description",
            "metadata",
            "default_branch",
            "has_upload",
            "credential_kind",
            "has_credential",
            "is_active",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_created_by(self, target: TargetAsset) -> int | None:
        return target.created_by_id

    def get_has_upload(self, target: TargetAsset) -> bool:
        return bool(target.upload)

    def get_has_credential(self, target: TargetAsset) -> bool:
        return bool(target.credential_kind and target.credential_encrypted)


class TargetCreateSerializer(CredentialInputSerializer):
    """A new target of the project."""

    name = serializers.CharField(max_length=150)
    asset_type = serializers.ChoiceField(choices=AssetType.choices)
    identifier = serializers.CharField(
        max_length=2048, required=False, allow_blank=True, default="", help_text=IDENTIFIER_HELP
    )
    description = serializers.CharField(required=False, allow_blank=True, default="")
    metadata = serializers.JSONField(required=False, default=dict, help_text=METADATA_HELP)
    upload = serializers.FileField(required=False, help_text=UPLOAD_HELP)
    is_active = serializers.BooleanField(required=False, default=True)
    default_branch = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text=DEFAULT_BRANCH_HELP
    )


class TargetUpdateSerializer(CredentialInputSerializer):
    """Changes to a target: only the given fields change."""

    name = serializers.CharField(max_length=150, required=False)
    asset_type = serializers.ChoiceField(
        choices=AssetType.choices, required=False, help_text="Cannot change; only checked."
    )
    identifier = serializers.CharField(max_length=2048, required=False, help_text=IDENTIFIER_HELP)
    description = serializers.CharField(required=False, allow_blank=True)
    metadata = serializers.JSONField(
        required=False, help_text=METADATA_HELP + " Replaces the stored metadata."
    )
    upload = serializers.FileField(
        required=False, help_text="file_upload only: a new archive replacing the stored one."
    )
    is_active = serializers.BooleanField(required=False)
    default_branch = serializers.CharField(
        max_length=255, required=False, allow_blank=True, help_text=DEFAULT_BRANCH_HELP
    )


class TargetGroupOutputSerializer(serializers.ModelSerializer):
    targets = serializers.SerializerMethodField(help_text="Ids of the targets in the group.")
    target_count = serializers.SerializerMethodField()

    class Meta:
        model = TargetGroup
        fields = [
            "id",
            "project",
            "name",
            "description",
            "targets",
            "target_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_targets(self, group: TargetGroup) -> list[int]:
        return sorted(target.pk for target in group.targets.all())

    def get_target_count(self, group: TargetGroup) -> int:
        count = getattr(group, "target_count", None)
        return int(count) if count is not None else group.targets.count()


class TargetGroupCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    targets = serializers.ListField(
        child=IdField(),
        required=False,
        default=list,
        max_length=1000,
        help_text="Ids of targets of the same project.",
    )


class TargetGroupUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    targets = serializers.ListField(
        child=IdField(),
        required=False,
        max_length=1000,
        help_text="Ids of targets of the same project; replaces the group's targets.",
    )
