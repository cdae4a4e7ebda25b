"""The template sandbox with resource limits: one organisation's template can never hold a
worker, a web request or another organisation's sends.

Jinja's ``SandboxedEnvironment`` already blocks attribute escapes; it does not bound work.
Here every render has a budget, checked where a template could spend it:

- ``range`` yields at most ``MAX_ITERATIONS`` items per render in total (nested loops share
  the budget) and stops at the render's deadline;
- ``**``, ``*`` and ``%`` are intercepted (so they are never constant-folded at compile time
  either): exponents, repetitions and format widths are capped before they run;
- width-taking filters (``center``, ``indent``, ``wordwrap``, ``truncate``, ``format``) refuse
  absurd widths;
- output is produced in chunks and stopped past ``MAX_OUTPUT`` characters or the deadline.

Any breach raises :class:`TemplateLimitError`, a ``TemplateError``, so callers treat it like any
other broken template: the message fails with the reason, the run goes on.
"""

from __future__ import annotations

import contextvars
import re
import time
from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

MAX_ITERATIONS = 20_000
MAX_OUTPUT = 300_000  # characters per rendered part
MAX_SECONDS = 2.0
MAX_EXPONENT = 64
MAX_REPEAT = 10_000  # items or characters a `*` may produce
MAX_WIDTH = 1_000  # format and filter widths
_FORMAT_WIDTH = re.compile(r"%[-+ #0]*(\d+)|\{[^}]*:[^}]*?(\d+)")


class TemplateLimitError(TemplateError):
    """A template exceeded the work a render may do."""


@dataclass
class _Budget:
    iterations: int
    deadline: float

    def spend(self, items: int = 1) -> None:
        self.iterations -= items
        if self.iterations < 0:
            raise TemplateLimitError(_("La plantilla repite demasiadas veces (ciclos)."))
        if time.monotonic() > self.deadline:
            raise TemplateLimitError(_("La plantilla tarda demasiado en generarse."))


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("budget", default=None)


def _current() -> _Budget:
    return _budget.get() or _Budget(MAX_ITERATIONS, time.monotonic() + MAX_SECONDS)


def budget_range(*args):
    budget = _current()
    for item in range(*args):
        budget.spend()
        yield item


def _check_width(value) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_WIDTH:
        raise TemplateLimitError(_("Ancho demasiado grande en la plantilla."))


def _capped(filter_function):
    def checked(*args, **kwargs):
        for value in (*args[1:], *kwargs.values()):
            _check_width(value)
        return filter_function(*args, **kwargs)

    checked.__name__ = getattr(filter_function, "__name__", "filter")
    for flag in ("jinja_pass_arg",):
        if hasattr(filter_function, flag):
            setattr(checked, flag, getattr(filter_function, flag))
    return checked


def _repeat_size(value) -> int:
    return len(value) if isinstance(value, str | list | tuple) else 1


class LimitedSandbox(SandboxedEnvironment):
    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, **options):
        super().__init__(undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, **options)
        self.globals["range"] = budget_range
        for name in ("center", "indent", "wordwrap", "truncate", "format"):
            self.filters[name] = _capped(self.filters[name])

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(right, int | float) and abs(right) > MAX_EXPONENT:
            raise TemplateLimitError(_("Exponente demasiado grande en la plantilla."))
        if operator == "*":
            self._check_repeat(left, right)
        if operator == "%" and isinstance(left, str):
            self._check_format(left)
        return super().call_binop(context, operator, left, right)

    @staticmethod
    def _check_repeat(left, right) -> None:
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, str | list | tuple) and isinstance(count, int):
                if _repeat_size(sequence) * abs(count) > MAX_REPEAT:
                    raise TemplateLimitError(_("Repetición demasiado grande en la plantilla."))

    @staticmethod
    def _check_format(pattern: str) -> None:
        for match in _FORMAT_WIDTH.finditer(pattern):
            width = match.group(1) or match.group(2)
            if width and int(width) > MAX_WIDTH:
                raise TemplateLimitError(_("Ancho demasiado grande en la plantilla."))


def render_limited(template, context: dict) -> str:
    """Render ``template`` within one budget (shared by every loop of this render)."""
    budget = _Budget(MAX_ITERATIONS, time.monotonic() + MAX_SECONDS)
    token = _budget.set(budget)
    try:
        parts: list[str] = []
        produced = 0
        for chunk in template.generate(context):
            produced += len(chunk)
            if produced > MAX_OUTPUT:
                raise TemplateLimitError(_("La plantilla genera un texto demasiado largo."))
            budget.spend(0)
            parts.append(chunk)
        return "".join(parts)
    finally:
        _budget.reset(token)
