"""A person's triage (confirmed, false positive, accepted risk) survives every automatic change,
and the finding's events tell what happened."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import UserFactory
from apps.findings.models import FindingEventType, FindingStatus
from apps.findings.services import finding_status_change

E = FindingEventType


def trail(finding) -> list[tuple[str, str, str]]:
    return list(finding.events.values_list("event_type", "from_value", "to_value"))


def test_a_confirmed_finding_that_goes_and_comes_back_is_confirmed_again(looks):
    looks.look("R1", "R2")
    person = UserFactory()
    finding_status_change(finding=looks.finding("R2"), user=person, status="confirmed")
    scan, _ = looks.look("R1")
    assert looks.finalise(scan) == 1
    assert looks.status("R2") == FindingStatus.AUTO_RESOLVED

    looks.look("R1", "R2")
    back = looks.finding("R2")
    assert back.status == FindingStatus.CONFIRMED
    assert (back.resolved_at, back.resolved_in_scan) == (None, None)
    assert trail(back) == [
        (E.CREATED, "", "new"),
        (E.STATUS_CHANGED, "new", "confirmed"),
        (E.AUTO_RESOLVED, "confirmed", "auto_resolved"),
        (E.REOPENED, "auto_resolved", "confirmed"),
    ]
    reopened = back.events.get(event_type=E.REOPENED)
    assert "confirmed" in reopened.comment and reopened.actor is None
    # Going and coming back once more keeps it confirmed.
    scan, _ = looks.look("R1")
    looks.finalise(scan)
    looks.look("R1", "R2")
    assert looks.status("R2") == FindingStatus.CONFIRMED


def test_a_new_finding_that_comes_back_is_reopened(looks):
    looks.look("R1", "R2")
    scan, _ = looks.look("R1")
    looks.finalise(scan)
    looks.look("R1", "R2")
    back = looks.finding("R2")
    assert back.status == FindingStatus.REOPENED
    assert trail(back)[-1] == (E.REOPENED, "auto_resolved", "reopened")


def test_a_finding_reopened_by_hand_then_confirmed_stays_confirmed(looks):
    """Confirmed after an earlier reopen: the latest auto-resolve is the one that counts."""
    looks.look("R1", "R2")
    scan, _ = looks.look("R1")
    looks.finalise(scan)
    looks.look("R1", "R2")  # reopened
    finding_status_change(finding=looks.finding("R2"), user=UserFactory(), status="confirmed")
    scan, _ = looks.look("R1")
    looks.finalise(scan)
    looks.look("R1", "R2")
    assert looks.status("R2") == FindingStatus.CONFIRMED


@pytest.mark.parametrize("triage", ["false_positive", "accepted_risk"])
def test_dismissed_findings_are_never_changed_by_scans(looks, triage):
    looks.look("R1", "R2")
    finding_status_change(
        finding=looks.finding("R2"), user=UserFactory(), status=triage, reason="test code"
    )
    scan, _ = looks.look("R1")
    assert looks.finalise(scan) == 0
    looks.look("R1", "R2")
    finding = looks.finding("R2")
    assert (finding.status, finding.status_reason) == (triage, "test code")
    assert [event_type for event_type, _, _ in trail(finding)] == [E.CREATED, E.STATUS_CHANGED]


def test_a_finding_resolved_by_a_person_is_reopened_when_seen_again(looks):
    looks.look("R1", "R2")
    finding_status_change(finding=looks.finding("R2"), user=UserFactory(), status="resolved")
    looks.look("R1", "R2")
    finding = looks.finding("R2")
    assert finding.status == FindingStatus.REOPENED
    assert trail(finding)[-1] == (E.REOPENED, "resolved", "reopened")
