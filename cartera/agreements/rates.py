"""Moratory interest within the law of each country, from dated rate tables
(``rates/<country>.json``, docs/agreements.md lists their sources and how to update them).

``moratory_rate`` answers, for one day, the annual rate to accrue and why:
- MX: the agreed rate, else the legal 6 % (Código de Comercio art. 362); an agreed rate
  above the organisation's usury threshold accrues but carries a warning;
- CO: the agreed rate capped at 1.5 × the certified interés bancario corriente (art. 884),
  which is also the rate when none was agreed;
- CL: the agreed rate (else the interés corriente) capped at the tasa máxima convencional;
- PE, AR: the agreed rate (else the legal rate) capped at the published maximum.
A day without a published period accrues nothing, and says so.
"""

import bisect
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

PACKAGE_RATES = Path(__file__).resolve().parent / "rates"
CO_MULTIPLIER = Decimal("1.5")
# The countries whose moratory law ``moratory_rate`` knows (each has a table).
RATE_COUNTRIES = ("MX", "CO", "CL", "PE", "AR")


@dataclass(frozen=True, eq=False)
class Period:
    start: dt.date
    values: dict  # name -> Decimal (annual %): legal, ibc, current, maximum


@dataclass(frozen=True)
class Rate:
    annual: Decimal  # % a year; 0: nothing accrues
    reason: str
    warning: str = ""


def rates_dir() -> Path:
    return Path(getattr(settings, "AGREEMENTS_RATES_DIR", "") or PACKAGE_RATES)


@lru_cache(maxsize=32)
def _table(path: str, mtime: float) -> tuple[Period, ...]:
    data = json.loads(Path(path).read_text())
    periods = [
        Period(
            start=dt.date.fromisoformat(row["from"]),
            values={k: Decimal(str(v)) for k, v in row.items() if k not in ("from", "source")},
        )
        for row in data.get("periods", [])
    ]
    return tuple(sorted(periods, key=lambda p: p.start))


@lru_cache(maxsize=32)
def _periods_for(country: str, setting: str) -> tuple[Period, ...]:
    path = Path(setting or PACKAGE_RATES) / f"{country.lower()}.json"
    if not path.exists():
        return ()
    return _table(str(path), path.stat().st_mtime)


def periods_for(country: str) -> tuple[Period, ...]:
    """The country's periods, read once per run (``reload_tables`` starts a run, so an
    updated file is picked up by the next one). Keyed by the setting as written: a run
    asks this for every day of every accrual."""
    return _periods_for(country, getattr(settings, "AGREEMENTS_RATES_DIR", "") or "")


def reload_tables() -> None:
    _periods_for.cache_clear()
    _starts.cache_clear()
    _period_rate.cache_clear()


@lru_cache(maxsize=32)
def _starts(periods: tuple[Period, ...]) -> tuple[dt.date, ...]:
    return tuple(p.start for p in periods)


def period_on(periods: tuple[Period, ...], day: dt.date) -> Period | None:
    index = bisect.bisect_right(_starts(periods), day) - 1
    return periods[index] if index >= 0 else None


def period_starts(country: str) -> tuple[dt.date, ...]:
    return _starts(periods_for(country))


def _capped(agreed, default, maximum, *, law: str) -> Rate:
    wanted = agreed if agreed is not None else default
    if wanted is None or maximum is None:
        return Rate(Decimal(0), _("Sin tasa publicada para el periodo (%(law)s)") % {"law": law})
    if wanted > maximum:
        return Rate(
            maximum,
            _("Tasa pactada de %(a)s %% limitada al máximo legal de %(m)s %% (%(law)s)")
            % {"a": wanted, "m": maximum, "law": law},
        )
    source = _("pactada") if agreed is not None else _("legal")
    return Rate(
        wanted, _("Tasa %(s)s de %(r)s %% (%(law)s)") % {"s": source, "r": wanted, "law": law}
    )


def _mexico(period, agreed, usury_threshold) -> Rate:
    if agreed is None:
        legal = period.values.get("legal") if period else None
        return Rate(
            legal or Decimal(0),
            _("Tasa legal de %(r)s %% (Código de Comercio art. 362)") % {"r": legal},
        )
    warning = ""
    if usury_threshold is not None and agreed > usury_threshold:
        warning = _(
            "La tasa pactada de %(r)s %% supera el umbral de %(t)s %%: un juez puede reducirla "
            "por usuraria (SCJN 1a./J. 46/2014)."
        ) % {"r": agreed, "t": usury_threshold}
    return Rate(agreed, _("Tasa pactada de %(r)s %%") % {"r": agreed}, warning)


def moratory_rate(
    country: str, day: dt.date, *, agreed: Decimal | None, usury_threshold: Decimal | None = None
) -> Rate:
    """The annual rate (%) that accrues on ``day`` for a debtor in ``country``, and why."""
    period = period_on(periods_for(country), day)
    return _period_rate(country, period, agreed, usury_threshold, get_language())


class RunRates:
    """``moratory_rate`` and ``period_starts`` remembered for one run (one language, one
    agreed rate and threshold): the daily accrual asks for the same few hundred days a
    hundred thousand times, and each question reads the settings and the active language."""

    __slots__ = ("agreed", "usury_threshold", "_rates", "_starts")

    def __init__(self, *, agreed: Decimal | None, usury_threshold: Decimal | None = None):
        self.agreed, self.usury_threshold = agreed, usury_threshold
        self._rates: dict = {}
        self._starts: dict = {}

    def rate(self, country: str, day: dt.date) -> Rate:
        key = (country, day)
        rate = self._rates.get(key)
        if rate is None:
            rate = self._rates[key] = moratory_rate(
                country, day, agreed=self.agreed, usury_threshold=self.usury_threshold
            )
        return rate

    def starts(self, country: str) -> tuple[dt.date, ...]:
        starts = self._starts.get(country)
        if starts is None:
            starts = self._starts[country] = period_starts(country)
        return starts


@lru_cache(maxsize=256)
def _period_rate(country, period, agreed, usury_threshold, _language) -> Rate:
    """The rate depends on the day only through its period: worked out once per period
    (and language, for the reason) in a run of thousands of accruals."""
    values = period.values if period else {}
    if country == "MX":
        return _mexico(period, agreed, usury_threshold)
    if country == "CO":
        ibc = values.get("ibc")
        cap = ibc * CO_MULTIPLIER if ibc is not None else None
        return _capped(agreed, cap, cap, law="1,5 × IBC, Código de Comercio art. 884")
    if country == "CL":
        return _capped(agreed, values.get("current"), values.get("maximum"), law="Ley 18.010")
    if country in ("PE", "AR"):
        law = "BCRP" if country == "PE" else "BCRA"
        return _capped(agreed, values.get("legal"), values.get("maximum"), law=law)
    if agreed is None:
        return Rate(Decimal(0), _("Sin tasa moratoria pactada"))
    return Rate(agreed, _("Tasa pactada de %(r)s %%") % {"r": agreed})


UF_TABLE = "CL_UF"


def uf_value_on(day: dt.date) -> Decimal | None:
    """Chile's UF (CLP) in force on ``day``, for the Ley 19.496 fee caps: a dated value
    like the rate tables (``rates/cl_uf.json``, the latest period on or before the day),
    or ``None`` when none was entered."""
    period = period_on(periods_for(UF_TABLE), day)
    return period.values.get("uf") if period else None
