"""This machine's addresses on the local network, found without the internet.

The projector is often opened on the laptop that serves the event, at http://127.0.0.1:5000:
a QR code of that address sends every phone to itself. The addresses the phones can use are
those of the machine's network interfaces (ifaddr reads them, as `ip addr` does; no packet is
sent, so this works on a venue network that has no route to the internet).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import ifaddr

# Interfaces that phones on the venue's wifi do not reach: containers, virtual machines, VPNs.
VIRTUAL_PREFIXES = ("docker", "br-", "veth", "virbr", "vboxnet", "vmnet", "tun", "tap", "utun",
                    "wg", "zt", "tailscale", "lxc", "lxd", "cni", "flannel", "podman")


@dataclass(frozen=True)
class Address:
    ip: str
    interface: str

    @property
    def virtual(self) -> bool:
        return self.interface.lower().startswith(VIRTUAL_PREFIXES)


def lan_addresses() -> list[Address]:
    """The machine's IPv4 addresses that another device could reach: not loopback, not
    link-local; private (venue) networks on real interfaces first, virtual interfaces last."""
    found: dict[str, Address] = {}
    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if not ip.is_IPv4:
                continue  # phones on venue wifi use IPv4; an IPv6 URL is unreadable anyway
            address = ipaddress.IPv4Address(ip.ip)
            if address.is_loopback or address.is_link_local or address.is_unspecified \
                    or address.is_multicast:
                continue
            found.setdefault(str(address), Address(str(address), adapter.nice_name))
    return sorted(found.values(), key=lambda a: (a.virtual, not ipaddress.ip_address(a.ip)
                                                 .is_private, ipaddress.ip_address(a.ip)))
