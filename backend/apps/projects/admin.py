"""Admin for projects, their members and invitations."""

from django.contrib import admin

from apps.projects.models import Project, ProjectInvitation, ProjectMembership


class ProjectMembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "owner_user", "organization", "created_at"]
    search_fields = ["name"]
    list_filter = ["organization"]
    inlines = [ProjectMembershipInline]


@admin.register(ProjectInvitation)
class ProjectInvitationAdmin(admin.ModelAdmin):
    """Pending and used invitations; the link's secret is not stored, only its hash."""

    list_display = ["email", "project", "role", "invited_by", "created_at", "accepted_at"]
    list_filter = ["role"]
    search_fields = ["email", "project__name"]
    readonly_fields = ["key_hash", "accepted_at"]
