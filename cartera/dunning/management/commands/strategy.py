from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cartera.dunning.assignment import assign_strategy
from cartera.dunning.models import Strategy
from cartera.dunning.services import (
    dump_strategy_yaml,
    load_builtin_strategies,
    load_strategy,
    read_strategy_file,
)
from cartera.orgs.models import Organization
from cartera.outreach.message_templates import install_default_templates


class Command(BaseCommand):
    help = (
        "Strategies as YAML: cartera strategy export|load FILE --org SLUG; "
        "cartera strategy load --builtin --org SLUG; "
        "cartera strategy assign --org SLUG --key K (--customer EXT | --class C --tag T "
        "--country CC --min-balance N --max-balance N)"
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "load", "assign"])
        parser.add_argument("file", nargs="?", help="YAML file (export: '-' or none = stdout)")
        parser.add_argument("--org", required=True)
        parser.add_argument("--key", help="export: the strategy key (default: the default one)")
        parser.add_argument(
            "--builtin",
            action="store_true",
            help="load: the three shipped strategies and default templates",
        )
        parser.add_argument("--customer", help="assign: one customer (external id)")
        parser.add_argument("--class", dest="classification", help="assign: class A–D")
        parser.add_argument("--tag", help="assign: tag name")
        parser.add_argument("--country", help="assign: ISO country code")
        parser.add_argument("--min-balance", help="assign: open balance from")
        parser.add_argument("--max-balance", help="assign: open balance up to")

    def handle(self, *args, **options):

        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"no organisation with slug {options['org']!r}")
        if options["action"] == "assign":
            self._assign(organization, options)
            return
        if options["action"] == "export":
            queryset = Strategy.objects.filter(organization=organization)
            strategy = (
                queryset.filter(key=options["key"])
                if options["key"]
                else queryset.filter(is_default=True)
            ).first()
            if strategy is None:
                raise CommandError("no such strategy (load one with `cartera strategy load`)")
            text = dump_strategy_yaml(strategy)
            if options["file"] and options["file"] != "-":
                with open(options["file"], "w", encoding="utf-8") as handle:
                    handle.write(text)
                self.stdout.write(f"{strategy.key} v{strategy.version} → {options['file']}")
            else:
                self.stdout.write(text, ending="")
            return
        try:
            if options["builtin"] or not options["file"]:
                strategies = load_builtin_strategies(organization=organization)
                templates = install_default_templates(organization=organization)
                for strategy in strategies:
                    self.stdout.write(f"{strategy.key} v{strategy.version}")
                self.stdout.write(f"{templates} templates installed")
                return
            strategy, changed = load_strategy(
                organization=organization, document=read_strategy_file(options["file"])
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        state = "new version" if changed else "unchanged"
        self.stdout.write(f"{strategy.key} v{strategy.version} ({state})")

    def _assign(self, organization, options):
        strategy = Strategy.objects.filter(organization=organization, key=options["key"]).first()
        if strategy is None:
            raise CommandError("assign: --key must name one of the organisation's strategies")
        segment = {
            "customer": options["customer"],
            "classification": options["classification"],
            "tag": options["tag"],
            "country": options["country"],
            "min_open_balance": options["min_balance"],
            "max_open_balance": options["max_balance"],
        }
        try:
            assign_strategy(
                strategy=strategy,
                actor=None,
                segment={name: value for name, value in segment.items() if value},
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(f"{strategy.key} assigned")
