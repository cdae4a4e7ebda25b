"""The one rule for "which address is this request from".

Behind a reverse proxy every request arrives from the proxy's address, so lock-outs keyed on
``REMOTE_ADDR`` would lock out every user at once. When the direct peer is one of
``TRUSTED_PROXIES`` (``CARTERA_TRUSTED_PROXIES``: addresses or networks), the client is the
right-most address of ``X-Forwarded-For`` that is not itself a trusted proxy — the left part
of that header is written by the client and cannot be trusted.
"""

import ipaddress
from functools import cache

from django.conf import settings


@cache
def _trusted_networks(configured: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in configured if item)


def _is_trusted(address: str) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    networks = _trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    return any(parsed in network for network in networks)


def client_ip(request) -> str:
    peer = request.META.get("REMOTE_ADDR", "") or ""
    if not _is_trusted(peer):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # a garbled header: fall back to the proxy, never to garbage
    return peer
