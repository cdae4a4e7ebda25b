"""The public address every link is built with (portal links, unsubscribe links and the
open pixel in e-mails, ``cartera portal link``): ``CARTERA_BASE_URL`` when configured,
else where ``cartera serve`` / ``cartera demo`` last started the server, recorded in the
data directory so its children and later commands agree (docs/configuration.md)."""

from pathlib import Path

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
RECORD_NAME = "served-url"


def url_for(host: str, port: int) -> str:
    """The address people open for a server bound to ``host``:``port``."""
    shown = "localhost" if host in ("", "0.0.0.0", "::") else host
    if ":" in shown and not shown.startswith("["):  # an IPv6 address
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def recorded_base_url(data_dir: Path) -> str:
    try:
        return (Path(data_dir) / RECORD_NAME).read_text().strip()
    except OSError:
        return ""


def resolve_base_url(*, configured: str, data_dir: Path, use_record: bool = True) -> str:
    """The configured address, else the recorded one, else the default."""
    if configured:
        return configured.rstrip("/")
    return (recorded_base_url(data_dir) if use_record else "") or DEFAULT_BASE_URL


def record_served_url(*, data_dir: Path, host: str, port: int) -> str:
    """Remember where the server is being started; returns that address."""
    url = url_for(host, port)
    (Path(data_dir) / RECORD_NAME).write_text(url + "\n")
    return url
