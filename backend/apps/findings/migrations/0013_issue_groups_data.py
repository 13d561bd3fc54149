"""Group the findings stored before issue groups existed (see apps.findings.grouping)."""

from django.db import migrations


def group_existing(apps, schema_editor):
    # The grouping code itself, not historical models, so existing findings are grouped
    # exactly as ingest groups new ones. A fresh database has nothing to group; should a
    # later change to these tables break this on old data, `manage.py issue_groups_rebuild`
    # does the same after migrating.
    from apps.findings.grouping import issue_groups_rebuild

    Finding = apps.get_model("findings", "Finding")
    project_ids = Finding.objects.order_by().values_list("project_id", flat=True).distinct()
    for project_id in list(project_ids):
        issue_groups_rebuild(project_id=project_id)


class Migration(migrations.Migration):
    # It runs today's grouping code on today's Finding model: every column that model has
    # must exist first, whatever order the sibling migrations were merged in.
    dependencies = [
        ("findings", "0012_issue_groups"),
        ("findings", "0012_triage_workflow"),
        ("findings", "0012_finding_code_context"),
    ]

    operations = [migrations.RunPython(group_existing, migrations.RunPython.noop)]
