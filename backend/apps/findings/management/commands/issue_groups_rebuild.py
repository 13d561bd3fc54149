"""Recompute the issue groups of every project (or of the projects given) from scratch."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.findings.grouping import issue_groups_rebuild
from apps.findings.models import Finding


class Command(BaseCommand):
    help = "Group every finding again (after a change of the grouping rules or of SECRET_KEY)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--project", type=int, action="append", help="Only this project id.")

    def handle(self, *args: Any, **options: Any) -> None:
        project_ids = options["project"] or list(
            Finding.objects.order_by().values_list("project_id", flat=True).distinct()
        )
        for project_id in project_ids:
            groups = issue_groups_rebuild(project_id=project_id)
            self.stdout.write(f"project {project_id}: {groups} groups")
