"""The same rules on the embedded default (SQLite), where the ingest takes its ORM path
instead of PostgreSQL's COPY: run by the smoke run (`-m smoke`)."""

import pytest
from django.conf import settings

from apps.findings.tests.lifecycle.test_auto_resolve import (  # noqa: F401 - collected here
    test_a_complete_run_resolves_what_it_no_longer_reports,
    test_a_partial_run_resolves_only_findings_in_files_it_analysed,
    test_a_run_with_another_configuration_does_not_close_findings_of_the_first,
    test_an_older_scan_does_not_reopen_what_a_newer_one_resolved,
    test_an_older_scan_finalising_last_does_not_resolve_what_a_newer_one_saw,
    test_only_the_configuration_that_saw_a_finding_last_may_resolve_it,
)
from apps.findings.tests.lifecycle.test_scan_pipeline import (  # noqa: F401
    site,
    test_an_older_scan_finalising_last_leaves_what_a_newer_scan_saw_open,
    test_two_configurations_on_one_target_do_not_close_each_others_findings,
)
from apps.findings.tests.lifecycle.test_triage import (  # noqa: F401
    test_a_confirmed_finding_that_goes_and_comes_back_is_confirmed_again,
    test_dismissed_findings_are_never_changed_by_scans,
)

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.django_db,
    pytest.mark.skipif(
        "sqlite" not in settings.DATABASES["default"]["ENGINE"],
        reason="the smoke run is the one on the embedded SQLite default",
    ),
]
