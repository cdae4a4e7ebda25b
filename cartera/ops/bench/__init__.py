"""Benchmarks, run with ``cartera bench <name> …``.

Each benchmark is a plain module ``cartera/ops/bench/<name>.py`` that exposes:

- ``HELP``: one line shown in ``cartera bench --help`` (optional);
- ``add_arguments(parser)``: adds its options to an ``argparse`` sub-parser;
- ``run(options, stdout)``: does the work; ``options`` is the parsed ``dict``,
  ``stdout`` the command's output wrapper (``stdout.write(line)``).

To add one, create the module and append its name to ``BENCHMARKS`` below.
Reported figures go in ``bench/README.md`` at the repository root.
"""

# Other names a benchmark answers to: ``cartera bench import`` reads better than ``imports``.
ALIASES: dict[str, str] = {"import": "imports"}

BENCHMARKS: list[str] = [
    "generate",
    "imports",
    "reports",
    "dunning",
    "workday",
    "portal",
    "interest",
    "cfdi",
    "api",
    "channels",
    "bank",
    "webhooks",
    "faults",
]
