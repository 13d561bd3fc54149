"""Network target policy: which hosts DAST and network tools may touch.

`SECULITE_TARGET_ALLOW` and `SECULITE_TARGET_DENY` are comma-separated lists of CIDR ranges,
host names or `*.domain` patterns. Deny wins over allow. Loopback, link-local, private and
other non-public ranges are denied unless explicitly allowed, so a scan cannot be aimed at
the platform's own network by default. Every address a host name resolves to is checked.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetPolicyError(Exception):
    """The target may not be scanned; the message says why."""


@dataclass(frozen=True)
class TargetPolicy:
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls) -> TargetPolicy:
        return cls(
            allow=tuple(getattr(settings, "SECULITE_TARGET_ALLOW", ())),
            deny=tuple(getattr(settings, "SECULITE_TARGET_DENY", ())),
        )


def _networks(entries: Sequence[str]) -> list[IPNetwork]:
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return nets


def _name_matches(host: str, entries: Sequence[str]) -> bool:
    host = host.lower().rstrip(".")
    for entry in entries:
        entry = entry.lower().rstrip(".")
        if entry.startswith("*.") and (host.endswith(entry[1:]) or host == entry[2:]):
            return True
        if host == entry:
            return True
    return False


def _is_non_public(address: IPAddress) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def resolve_host(host: str) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise TargetPolicyError(f"Host {host!r} does not resolve.") from exc
    return sorted({ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}, key=str)


def target_policy_check(host: str, *, policy: TargetPolicy | None = None) -> list[IPAddress]:
    """Raise TargetPolicyError unless every address of `host` may be scanned; return them."""
    policy = policy or TargetPolicy.from_settings()
    if _name_matches(host, policy.deny):
        raise TargetPolicyError(f"{host} is denied by SECULITE_TARGET_DENY.")
    name_allowed = _name_matches(host, policy.allow)
    allow_nets, deny_nets = _networks(policy.allow), _networks(policy.deny)
    addresses = resolve_host(host)
    for address in addresses:
        if any(address in net for net in deny_nets):
            raise TargetPolicyError(f"{host} ({address}) is denied by SECULITE_TARGET_DENY.")
        explicitly_allowed = name_allowed or any(address in net for net in allow_nets)
        if _is_non_public(address) and not explicitly_allowed:
            raise TargetPolicyError(
                f"{host} resolves to {address}, a loopback, private or link-local address; "
                "add it to SECULITE_TARGET_ALLOW to scan it."
            )
    return addresses
