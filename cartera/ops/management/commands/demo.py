"""``cartera demo [--no-serve]``: load the demo organisation (idempotently), then serve.

While it serves, a local fake Stripe (``cartera/testing/fake_stripe.py``) takes the
portal's card payments and posts the signed webhook back, so a payment can be made and
seen reconciled with no network; the served processes read its address from the demo's
own settings module (``cartera/ops/demo/settings.py``), never from production settings.
"""

import argparse
import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils.translation import gettext as _
from rich.progress import Progress

from cartera.lib.base_url import url_for
from cartera.lib.dates import parse_iso_date
from cartera.ops.demo.build import SIZES, build_demo
from cartera.ops.management.commands.serve import use_served_address
from cartera.outreach.channels.email.transport import outbox_only
from cartera.portal import access as portal_access
from cartera.portal.services import update_portal_settings
from cartera.testing.fake_stripe import FakeStripeServer

DEMO_STRIPE_KEY = "sk_test_demo_local"
DEMO_WEBHOOK_SECRET = "whsec_demo_local"


class Command(BaseCommand):
    help = "Create the demo organisation 'Distribuidora Ejemplo' (once) and serve it."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="load the data and exit")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument(
            "--size", choices=["full", "small"], default="full", help=argparse.SUPPRESS
        )
        parser.add_argument("--today", type=parse_iso_date, default=None, help=argparse.SUPPRESS)
        parser.add_argument(
            "--no-fake-payments",
            action="store_true",
            help="do not start the local fake Stripe for card payments",
        )

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # before building: the demo's portal links and messages use the served address
        use_served_address(options["host"], options["port"])
        n_customers, n_invoices = SIZES[options["size"]]
        result = self._build(build_demo, options, n_customers, n_invoices)
        org = result.organization
        if result.created:
            counts = ", ".join(f"{v} {k}" for k, v in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(f"Organización demo creada: {org.name} ({counts}).")
            )
        else:
            self.stdout.write(
                f"La organización demo ({org.name}) ya existe; no se creó nada nuevo."
            )
        base = url_for(options["host"], options["port"])
        self._print_access(base, org, result.credentials)
        if options["no_serve"]:
            return
        fake = None
        if not options["no_fake_payments"]:
            fake = self._start_fake_stripe(base, org)
        try:
            call_command("serve", host=options["host"], port=options["port"], skip_migrate=True)
        finally:
            if fake is not None:
                fake.stop()

    def _print_access(self, base, org, credentials):
        self.stdout.write(f"Entrar en {base}{reverse('account_login')}")
        for username, password, role in credentials:
            self.stdout.write(f"  {role}: usuario {username}  contraseña {password}")
        self.stdout.write(_("Organización: %(slug)s") % {"slug": org.slug})
        self.stdout.write(
            _("Correo enviado (visor): %(url)s") % {"url": base + reverse("outreach:mail")}
        )
        if outbox_only():
            self.stdout.write(
                _(
                    "  Sin EMAIL_HOST ningún correo sale del equipo: cada uno queda como "
                    "archivo .eml en %(path)s y se ve en el visor."
                )
                % {"path": settings.EMAIL_FILE_PATH}
            )
        else:
            self.stdout.write(
                _("  Los correos salen por %(host)s.") % {"host": settings.EMAIL_HOST}
            )
        self.stdout.write(
            _("Para ver un recordatorio ya: %(url)s (Ejecutar cobranza ahora)")
            % {"url": base + reverse("dunning:run_now")}
        )

    def _start_fake_stripe(self, base, org):
        """The local fake Stripe, and the demo organisation's portal pointed at it."""
        webhook = base + reverse("portal:webhook", kwargs={"provider": "stripe", "slug": org.slug})
        fake = FakeStripeServer(webhook_url=webhook, webhook_secret=DEMO_WEBHOOK_SECRET).start()
        current = portal_access.settings_for(org)
        update_portal_settings(
            organization=org,
            actor=None,
            require_code=current.require_code,
            max_promise_days=current.max_promise_days,
            bank_accounts=current.bank_accounts,
            clabe_prefix=current.clabe_prefix,
            stripe_secret_key=DEMO_STRIPE_KEY,
            stripe_webhook_secret=DEMO_WEBHOOK_SECRET,
        )
        # the served processes (children of ``serve``) read it through the demo settings
        os.environ["CARTERA_DEMO_STRIPE_API_BASE"] = fake.base_url
        os.environ["DJANGO_SETTINGS_MODULE"] = "cartera.ops.demo.settings"
        self.stdout.write(
            _("Pagos con tarjeta: Stripe de prueba local en %(url)s (no cobra nada).")
            % {"url": fake.base_url}
        )
        return fake

    def _build(self, build_demo, options, n_customers, n_invoices):
        quiet = options["verbosity"] == 0 or not self.stdout.isatty()
        if quiet:
            return build_demo(today=options["today"], size=options["size"])

        with Progress(transient=True) as bar:
            tasks = {
                "customers": bar.add_task("Clientes", total=n_customers),
                "invoices": bar.add_task("Facturas y pagos", total=n_invoices),
            }
            return build_demo(
                today=options["today"],
                size=options["size"],
                progress=lambda step, advance: bar.advance(tasks[step], advance),
            )
