"""The network target policy on IP ranges: the whole range must be public unless allowed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from apps.targets import validators
from apps.targets.policy import (
    TargetPolicy,
    TargetPolicyError,
    network_policy_check,
    target_policy_check,
)
from apps.targets.preparation import TargetPreparationError, prepare_target

# Each reaches a non-public network although its network address (what was checked) is public.
RANGES_REACHING_INSIDE = [
    "127.0.0.1/7",  # stored as 126.0.0.0/7: covers 127.0.0.0/8
    "169.254.169.254/14",  # 169.252.0.0/14: covers the link-local metadata address
    "172.16.0.1/11",  # 172.0.0.0/11: covers 172.16.0.0/12
    "10.0.0.1/6",  # 8.0.0.0/6: covers 10.0.0.0/8
    "0.0.0.0/0",
    "100.64.0.0/10",  # carrier-grade NAT
    "100.100.100.200",  # a cloud metadata address in carrier-grade NAT space
    "100.100.100.0/24",
    "96.0.0.0/4",  # starts and ends public, holds 100.64/10 and 127/8 in the middle
    "224.0.0.0/4",  # multicast
    "::/0",
    "fc00::/6",  # covers unique-local fc00::/7
    "::ffff:127.0.0.1",
]


def _checked(identifier: str, policy: TargetPolicy) -> str:
    network = validators.validate_ip_range(identifier)
    return str(network_policy_check(network, policy=policy))


@pytest.mark.parametrize("identifier", RANGES_REACHING_INSIDE)
def test_ranges_reaching_non_public_space_are_denied_by_default(identifier):
    with pytest.raises(TargetPolicyError, match="SECULITE_TARGET_ALLOW"):
        _checked(identifier, TargetPolicy())


@pytest.mark.parametrize("identifier", ["8.8.8.0/24", "1.0.0.0/8", "2606:4700::/32", "9.9.9.9"])
def test_public_ranges_pass(identifier):
    assert _checked(identifier, TargetPolicy())


def test_allow_list_admits_a_range_it_covers():
    allowed = TargetPolicy(allow=("100.64.0.0/10",))
    assert _checked("100.100.100.200", allowed) == "100.100.100.200/32"
    assert _checked("100.100.100.0/24", allowed) == "100.100.100.0/24"
    # Allowing part of the non-public space is not allowing all of it.
    partly = TargetPolicy(allow=("127.0.0.0/16",))
    with pytest.raises(TargetPolicyError):
        _checked("127.0.0.1/7", partly)
    # A range is admitted when each non-public piece it holds is allowed.
    both = TargetPolicy(allow=("10.0.0.0/8",))
    assert _checked("10.0.0.1/6", both) == "8.0.0.0/6"


def test_deny_wins_over_allow_anywhere_in_the_range():
    policy = TargetPolicy(allow=("10.0.0.0/8",), deny=("10.9.9.9/32",))
    with pytest.raises(TargetPolicyError, match="SECULITE_TARGET_DENY"):
        _checked("10.0.0.0/8", policy)
    # The denied address inside a public range denies the range.
    with pytest.raises(TargetPolicyError, match="SECULITE_TARGET_DENY"):
        _checked("8.0.0.0/8", TargetPolicy(deny=("8.8.8.8",)))


@pytest.mark.parametrize("identifier", ["127.0.0.1/7", "169.254.169.254/14", "100.100.100.200"])
def test_scan_preparation_refuses_the_range(tmp_path, settings, identifier):
    settings.SECULITE_TARGET_ALLOW = []
    settings.SECULITE_TARGET_DENY = []
    target = SimpleNamespace(
        asset_type="ip_range", identifier=validators.validate_ip_range(identifier), metadata={}
    )
    with pytest.raises(TargetPreparationError, match="SECULITE_TARGET_ALLOW"):
        prepare_target(target, workdir=tmp_path)


@pytest.mark.parametrize("host", ["100.100.100.200", "100.64.0.1", "224.0.0.1", "64:ff9b::a00:1"])
def test_single_hosts_in_non_public_space_are_denied(host):
    with pytest.raises(TargetPolicyError, match="SECULITE_TARGET_ALLOW"):
        target_policy_check(host, policy=TargetPolicy())
    assert target_policy_check(host, policy=TargetPolicy(allow=(host,)))
