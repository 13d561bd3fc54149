"""The same grouping on the embedded default (SQLite), where the ingest takes its ORM path:
run by the smoke run (`-m smoke`)."""

import pytest
from django.conf import settings

from apps.findings.tests.grouping.test_issue_groups import (  # noqa: F401 - collected here
    site,
    test_a_finding_that_moves_leaves_its_group,
    test_private_keys_and_cloud_credentials_are_critical,
    test_related_cwes_group_and_unrelated_ones_do_not,
    test_the_same_advisory_under_its_aliases_is_one_group,
    test_the_same_secret_in_two_files_is_one_group_by_a_keyed_hash,
    test_the_same_sql_injection_by_two_tools_is_one_group_with_the_worst_severity,
    test_triage_and_auto_resolve_keep_the_group_counts,
)

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.django_db,
    pytest.mark.skipif(
        "sqlite" not in settings.DATABASES["default"]["ENGINE"],
        reason="the smoke run is the one on the embedded SQLite default",
    ),
]
