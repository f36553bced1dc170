"""Facts about an IP address that the loader stores and the detector groups by."""

from __future__ import annotations

import ipaddress
from functools import lru_cache


@lru_cache(maxsize=500_000)
def address_facts(address: str) -> tuple[int, str]:
    """IP version and the /24 (IPv4) or /48 (IPv6) prefix of an address."""
    ip = ipaddress.ip_address(address)
    bits = 24 if ip.version == 4 else 48
    return ip.version, ipaddress.ip_network(f"{address}/{bits}", strict=False).with_prefixlen


def prefix_of(address: str) -> str:
    """The /24 (IPv4) or /48 (IPv6) prefix of an address."""
    return address_facts(address)[1]
