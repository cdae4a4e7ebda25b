"""``cartera bench <name> …``: dispatch to the benchmark modules in ``cartera/ops/bench/``."""

import importlib

from django.core.management.base import BaseCommand, CommandError

from cartera.ops.bench import ALIASES, BENCHMARKS


def _load(name: str):
    return importlib.import_module(f"cartera.ops.bench.{name}")


class Command(BaseCommand):
    help = "Run a benchmark or build benchmark data: cartera bench <name> --help"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
        for name in BENCHMARKS:
            module = _load(name)
            doc = (module.__doc__ or "").strip().splitlines()
            summary = getattr(module, "HELP", doc[0] if doc else name)
            aliases = [alias for alias, target in ALIASES.items() if target == name]
            child = sub.add_parser(name, help=summary, description=summary, aliases=aliases)
            module.add_arguments(child)

    def handle(self, *args, **options):
        name = ALIASES.get(options["benchmark"], options["benchmark"])
        if name not in BENCHMARKS:
            raise CommandError(f"unknown benchmark {name!r}")
        _load(name).run(options, self.stdout)
