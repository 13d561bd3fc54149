"""Network target policy: which hosts DAST and network tools may touch.

`SECULITE_TARGET_ALLOW` and `SECULITE_TARGET_DENY` are comma-separated lists of CIDR ranges,
host names or `*.domain` patterns. Deny wins over allow. Loopback, link-local, private and
other non-public ranges (`is_global` semantics, plus carrier-grade NAT and multicast) are denied
unless explicitly allowed, so a scan cannot be aimed at the platform's own network by default.
Every address a host name resolves to is checked, and an IP range is checked as a whole.
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


# Special-purpose space (IANA registries) that is not reachable on the public internet, or
# that maps into it (IPv4-mapped, NAT64, 6to4): a range overlapping any of these is non-public.
NON_PUBLIC_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT; cloud metadata services live here too
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "::ffff:0:0/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "2002::/16",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)


def _is_non_public(address: IPAddress) -> bool:
    return (
        not address.is_global
        or address.is_multicast
        or any(address in net for net in NON_PUBLIC_NETWORKS if net.version == address.version)
    )


def _overlaps(a: IPNetwork, b: IPNetwork) -> bool:
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def _covered(piece: IPNetwork, nets: Sequence[IPNetwork]) -> bool:
    return any(
        piece.version == net.version and piece.subnet_of(net)  # type: ignore[arg-type]
        for net in nets
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


def network_policy_check(network: str, *, policy: TargetPolicy | None = None) -> IPNetwork:
    """Raise TargetPolicyError unless the WHOLE range may be scanned; return it.

    A range is public only if neither end and no non-public network inside or around it is
    non-public; each non-public piece it holds must lie in one SECULITE_TARGET_ALLOW range.
    Any overlap with SECULITE_TARGET_DENY denies the range.
    """
    policy = policy or TargetPolicy.from_settings()
    try:
        net = ipaddress.ip_network(network, strict=False)
    except ValueError as exc:
        raise TargetPolicyError(f"{network!r} is not an IP address or CIDR range.") from exc
    allow_nets, deny_nets = _networks(policy.allow), _networks(policy.deny)
    for denied in deny_nets:
        if _overlaps(net, denied):
            raise TargetPolicyError(f"{net} overlaps {denied}, denied by SECULITE_TARGET_DENY.")
    # CIDR networks are nested or disjoint, so each overlap is the smaller of the two.
    pieces: list[IPNetwork] = [
        net if net.prefixlen >= special.prefixlen else special
        for special in NON_PUBLIC_NETWORKS
        if _overlaps(net, special)
    ]
    for end in (net.network_address, net.broadcast_address):
        if _is_non_public(end):
            pieces.append(ipaddress.ip_network(end))
    for piece in pieces:
        if not _covered(piece, allow_nets):
            raise TargetPolicyError(
                f"{net} includes {piece}, a loopback, private, link-local or otherwise "
                "non-public range; add it to SECULITE_TARGET_ALLOW to scan it."
            )
    return net
