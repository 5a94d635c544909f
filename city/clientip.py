"""The address of the person behind a request, also behind the reverse proxy that deployments put in front.

REMOTE_ADDR is the last hop: behind a proxy it is the proxy's address, the same for everyone. When that hop is
one of ``OBSERVATORY_TRUSTED_PROXIES``, the client is the right-most address of X-Forwarded-For that is not a
trusted proxy: each trusted proxy appends the address it got the request from (nginx's
``$proxy_add_x_forwarded_for``), so whatever stands further left was written by the client and proves nothing.
Without trusted proxies (the default) X-Forwarded-For is ignored and REMOTE_ADDR is the client.

The citizens' rate limit, the submitter address stored with a report and django-axes' login lockouts
(``AXES_CLIENT_IP_CALLABLE``) all take the address from ``client_ip``; gunicorn's ``forwarded_allow_ips`` reads
the same list (gunicorn.conf.py).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDR networks ("10.0.0.5", "10.0.0.0/24", "fd00::/8"); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip()))  # strict, as settings and gunicorn read it
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or a CIDR network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _trusted_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(text: str) -> Address | None:
    """An address as written in REMOTE_ADDR or X-Forwarded-For (a port, brackets or IPv4-mapped form allowed)."""
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # 192.0.2.1:443
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _is_trusted(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network for network in networks)


def from_trusted_proxy(request) -> bool:
    """Whether the last hop of ``request`` is one of the trusted proxies (whose headers are believed)."""
    peer = _address(request.META.get("REMOTE_ADDR") or "")
    networks = _trusted_networks(tuple(settings.OBSERVATORY_TRUSTED_PROXIES))
    return peer is not None and _is_trusted(peer, networks)


def client_ip(request) -> str | None:
    """The client's address for ``request`` (see the module docstring); None when the request has none."""
    remote = request.META.get("REMOTE_ADDR") or ""
    peer = _address(remote)
    networks = _trusted_networks(tuple(settings.OBSERVATORY_TRUSTED_PROXIES))
    if peer is None and not networks:
        return remote or None  # not an IP connection, and no proxy in front: nothing better to say
    if peer is not None and not _is_trusted(peer, networks):
        return str(peer)
    # A trusted proxy, or (behind proxies) a Unix socket, which only a process on this host can reach: the
    # proxy, as gunicorn also assumes for its forwarded_allow_ips.
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    nearest_trusted = peer
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Where one of our proxies should have written an address there is none: the trusted chain ends at
            # the last address we trust, never at anything further left.
            break
        if not _is_trusted(address, networks):
            return str(address)
        nearest_trusted = address
    return str(nearest_trusted) if nearest_trusted is not None else (remote or None)
