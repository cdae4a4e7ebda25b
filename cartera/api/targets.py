"""Which webhook URLs may be called (no SSRF): ``https`` only, and every address the host
resolves to outside loopback, private, link-local, shared, multicast and reserved ranges.
``CARTERA_WEBHOOKS_ALLOW_PRIVATE`` (tests, a local receiver in development) lifts both rules.
Checked when an endpoint is saved and again before every attempt (DNS may have changed)."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def allow_private() -> bool:
    return bool(getattr(settings, "CARTERA_WEBHOOKS_ALLOW_PRIVATE", False))


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_target(url: str) -> None:
    """ValidationError (on ``url``) unless Cartera may send webhooks to ``url``."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValidationError({"url": _("Indique una URL http(s) completa.")})
    if allow_private():
        return
    if parts.scheme != "https":
        raise ValidationError({"url": _("Solo se permiten URLs https.")})
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ValidationError({"url": _("No se pudo resolver el nombre del servidor.")}) from exc
    if not infos or not all(_public(info[4][0]) for info in infos):
        raise ValidationError({"url": _("La URL apunta a una red privada o local; no se permite.")})
