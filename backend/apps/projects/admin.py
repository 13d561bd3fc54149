"""Admin for projects and their members."""

from django.contrib import admin

from apps.projects.models import Project, ProjectMembership


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
