"""Admin for target assets and groups."""

from django.contrib import admin

from apps.targets.models import TargetAsset, TargetGroup


@admin.register(TargetAsset)
class TargetAssetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "asset_type", "identifier", "is_active"]
    list_filter = ["asset_type", "is_active"]
    search_fields = ["name", "identifier"]
    # The encrypted credential is set through the API only; the admin shows just its kind.
    exclude = ["credential_encrypted"]
    readonly_fields = ["credential_kind"]


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "project"]
    search_fields = ["name"]
    filter_horizontal = ["targets"]
