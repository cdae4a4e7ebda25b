"""``cartera demo [--no-serve]``: load the demo organisation (idempotently), then serve."""

import argparse

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse
from rich.progress import Progress

from cartera.lib.base_url import url_for
from cartera.lib.dates import parse_iso_date
from cartera.ops.demo.build import SIZES, build_demo
from cartera.ops.management.commands.serve import use_served_address


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
        self.stdout.write(f"Entrar en {base}{reverse('account_login')}")
        for username, password, role in result.credentials:
            self.stdout.write(f"  {role}: usuario {username}  contraseña {password}")
        if not options["no_serve"]:
            call_command("serve", host=options["host"], port=options["port"], skip_migrate=True)

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
