"""The portal's own settings (owners): bank accounts shown, the promise limit, the logo,
the online-payment keys. What the debtor does in the portal is done by the services of the
apps that own it (``cartera.payments.reported``, ``cartera.followup.promises``,
``cartera.invoices.disputes``, composed with the agent's task in ``cartera.followup.reviews``).
"""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from cartera.invoices import factoring
from cartera.lib.uploads import PROOF_EXTENSIONS
from cartera.timeline import events

from .models import PortalSettings

# --- portal settings (owners) ---------------------------------------------------------------
MAX_LOGO_BYTES = 512 * 1024
LOGO_SIGNATURES = {"image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


def sniff_logo(uploaded) -> str:
    """PNG or JPEG judged by the first bytes (never SVG: it can carry scripts)."""
    if uploaded.size > MAX_LOGO_BYTES:
        raise ValidationError({"logo": _("El logotipo pesa más de 512 KB.")})
    head = uploaded.read(8)
    uploaded.seek(0)
    for content_type, signature in LOGO_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    raise ValidationError({"logo": _("El logotipo debe ser una imagen PNG o JPG.")})


@transaction.atomic
def update_portal_settings(
    *,
    organization,
    actor,
    require_code: bool,
    max_promise_days: int,
    bank_accounts: str,
    clabe_prefix: str,
    logo=None,
    remove_logo: bool = False,
    stripe_secret_key: str = "",
    stripe_webhook_secret: str = "",
    factored_invoices: str = "",
) -> PortalSettings:
    """Save the organisation's portal options; the change is on the timeline."""
    clabe_prefix = (clabe_prefix or "").strip()
    if clabe_prefix and (not clabe_prefix.isdigit() or not 6 <= len(clabe_prefix) <= 10):
        raise ValidationError(
            {"clabe_prefix": _("El prefijo son de 6 a 10 dígitos (banco y plaza).")}
        )
    if not 1 <= int(max_promise_days) <= 180:
        raise ValidationError({"max_promise_days": _("Entre 1 y 180 días.")})
    stripe_secret_key, stripe_webhook_secret = (
        stripe_secret_key.strip(),
        stripe_webhook_secret.strip(),
    )
    if stripe_secret_key and not stripe_secret_key.startswith(("sk_", "rk_")):
        raise ValidationError(
            {"stripe_secret_key": _("La clave secreta de Stripe empieza con sk_ o rk_.")}
        )
    if stripe_webhook_secret and not stripe_webhook_secret.startswith("whsec_"):
        raise ValidationError(
            {"stripe_webhook_secret": _("El secreto del webhook empieza con whsec_.")}
        )
    content_type = sniff_logo(logo) if logo is not None else None
    row, _created = PortalSettings.objects.select_for_update().get_or_create(
        organization=organization
    )
    before = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
    }
    row.stripe_secret_key = stripe_secret_key or row.stripe_secret_key
    row.stripe_webhook_secret = stripe_webhook_secret or row.stripe_webhook_secret
    row.require_code, row.max_promise_days = bool(require_code), int(max_promise_days)
    row.bank_accounts = "\n".join(
        line.strip() for line in bank_accounts.splitlines() if line.strip()
    )
    row.clabe_prefix = clabe_prefix
    if (remove_logo or logo is not None) and row.logo:
        row.logo.delete(save=False)
    if logo is not None:
        digest = hashlib.sha256(logo.read()).hexdigest()
        logo.seek(0)
        extension = PROOF_EXTENSIONS[content_type]
        row.logo.save(f"org-{organization.pk}-{digest[:12]}.{extension}", logo, save=False)
    row.save()
    after = {
        "require_code": row.require_code,
        "max_promise_days": row.max_promise_days,
        "bank_accounts": row.bank_accounts,
        "clabe_prefix": row.clabe_prefix,
        "logo": row.logo.name,
        "stripe": (row.stripe_secret_key, row.stripe_webhook_secret),
    }
    changed = sorted(key for key in after if after[key] != before[key])
    if factored_invoices and factoring.set_factored_display(
        organization=organization, display=factored_invoices
    ):
        changed = sorted([*changed, "factored_invoices"])
    if changed:
        events.config_changed(
            organization,
            actor=actor,
            summary=_("Configuración del portal de clientes actualizada"),
            changed=changed,
        )
    return row
