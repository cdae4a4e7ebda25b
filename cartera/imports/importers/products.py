"""The catalogue of products and services from a spreadsheet. Every row is checked by
the catalogue's one rule (``cartera.fiscal.catalogue.product_errors``) and written by its
service (``save_product``), one product at a time; a product is found by its code, so
the same file again changes nothing and a changed row updates its product.

What the cells may say (docs/import.md): IVA 16/8/0/exento or blank (no IVA); rates as
a fraction (0.10), a percentage (10 %) or a number above 1 read as a percentage (10,
1.25); IEPS also as one of c_TasaOCuota's fractions (0.265, 1.6); objeto de impuesto
01/02/03 (1/2/3, "sí"/"no"); blank objeto: 02 when the row carries a tax, else 01."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy

from cartera.fiscal.catalogue import product_errors, save_product
from cartera.fiscal.models import IvaTreatment, Product, TaxObject
from cartera.fiscal.taxes import IEPS_RATES

from ..problem_text import gettext as _
from ..rows import RowError
from ..values import fold
from .base import PROGRESS_EVERY, BaseImporter

HUNDRED = Decimal(100)
SIX = Decimal("0.000001")
IVA_WORDS = {
    "": IvaTreatment.NONE,
    "sin iva": IvaTreatment.NONE,
    "no": IvaTreatment.NONE,
    "none": IvaTreatment.NONE,
    "exento": IvaTreatment.EXEMPT,
    "exenta": IvaTreatment.EXEMPT,
    "exempt": IvaTreatment.EXEMPT,
}
IVA_RATES = {
    Decimal("16"): IvaTreatment.GENERAL,
    Decimal("0.16"): IvaTreatment.GENERAL,
    Decimal("8"): IvaTreatment.BORDER,
    Decimal("0.08"): IvaTreatment.BORDER,
    Decimal("0"): IvaTreatment.ZERO,
}
TAX_OBJECT_WORDS = {
    "1": TaxObject.NOT_SUBJECT,
    "01": TaxObject.NOT_SUBJECT,
    "no": TaxObject.NOT_SUBJECT,
    "no objeto": TaxObject.NOT_SUBJECT,
    "2": TaxObject.SUBJECT,
    "02": TaxObject.SUBJECT,
    "si": TaxObject.SUBJECT,
    "yes": TaxObject.SUBJECT,
    "si objeto": TaxObject.SUBJECT,
    "3": TaxObject.SUBJECT_NOT_ITEMISED,
    "03": TaxObject.SUBJECT_NOT_ITEMISED,
    "4": TaxObject.SUBJECT_NOT_CAUSED,
    "04": TaxObject.SUBJECT_NOT_CAUSED,
    "5": TaxObject.SUBJECT_PODEBI,
    "05": TaxObject.SUBJECT_PODEBI,
}
YES = {"si", "s", "yes", "y", "true", "verdadero", "1", "x", "activo", "activa", "active"}
NO = {"no", "n", "false", "falso", "0", "inactivo", "inactiva", "inactive", "baja"}
TAX_FIELDS = ("iva", "ieps_rate", "isr_retention_rate", "iva_retention_rate")
# Compared to tell "unchanged" from "update".
COMPARED = (
    "description",
    "unit_price",
    "currency",
    "sat_product_key",
    "sat_unit_key",
    "unit_name",
    "tax_object",
    "iva",
    "ieps_rate",
    "isr_retention_rate",
    "iva_retention_rate",
    "active",
)


def _number(text: str) -> tuple[Decimal, bool]:
    """A cell as a number and whether it said "%"; ValueError when it is none."""
    has_percent = "%" in text
    text = text.replace("%", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError from None
    if not value.is_finite():
        raise ValueError
    return value, has_percent


class ProductImporter(BaseImporter):
    kind = "products"
    key_fields = ("code",)
    amount_fields = ("unit_price",)

    def kind_label(self):
        return gettext_lazy("productos")

    def prepare(self):
        self.existing = {p.code: p for p in Product.objects.filter(organization=self.organization)}
        self.seen: dict[str, int] = {}

    # reading the cells ----------------------------------------------------------------
    def _iva(self, cells) -> str:
        text = self.sheet.text(cells, "iva")
        word = IVA_WORDS.get(fold(text))
        if word is not None:
            return word
        try:
            value, _percent = _number(text)
        except ValueError:
            value = None
        if value is not None and value in IVA_RATES:
            return IVA_RATES[value]
        raise RowError("iva", text, _("IVA no reconocido (use 16, 8, 0, exento o déjelo vacío)."))

    def _rate(self, cells, field_name) -> Decimal | None:
        text = self.sheet.text(cells, field_name)
        if not text:
            return None
        try:
            value, has_percent = _number(text)
        except ValueError:
            raise RowError(
                field_name, text, _("Tasa no reconocida (p. ej. 10 %, 10 o 0.10).")
            ) from None
        if has_percent:
            return (value / HUNDRED).quantize(SIX)
        if field_name == "ieps_rate":
            if value.quantize(SIX) in IEPS_RATES or (value / HUNDRED) not in IEPS_RATES:
                return value.quantize(SIX)
            return (value / HUNDRED).quantize(SIX)
        return (value / HUNDRED if value > 1 else value).quantize(SIX)

    def _tax_object(self, cells, taxes: dict) -> str:
        text = self.sheet.text(cells, "tax_object")
        if not text:
            has_taxes = taxes["iva"] or any(taxes[k] is not None for k in TAX_FIELDS[1:])
            return TaxObject.SUBJECT if has_taxes else TaxObject.NOT_SUBJECT
        found = TAX_OBJECT_WORDS.get(fold(text)) or TAX_OBJECT_WORDS.get(fold(text)[:2])
        if found is None:
            raise RowError("tax_object", text, _("Objeto de impuesto no reconocido (use 01 a 05)."))
        return found

    def _active(self, cells, existing) -> bool:
        text = self.sheet.text(cells, "active")
        if not text:
            return existing.active if existing else True
        if fold(text) in YES:
            return True
        if fold(text) in NO:
            return False
        raise RowError("active", text, _("Activo no reconocido (use sí o no)."))

    def _taxes(self, cells, existing) -> dict:
        """The row's taxes; columns the file does not have keep the product's own (a new
        product: IVA 16 %)."""
        taxes = {}
        for name in TAX_FIELDS:
            if name in self.sheet.mapping:
                taxes[name] = self._iva(cells) if name == "iva" else self._rate(cells, name)
            elif existing is not None:
                taxes[name] = getattr(existing, name)
            else:
                taxes[name] = IvaTreatment.GENERAL if name == "iva" else None
        if "tax_object" in self.sheet.mapping or existing is None:
            taxes["tax_object"] = self._tax_object(cells, taxes)
        else:
            taxes["tax_object"] = existing.tax_object
        return taxes

    # one row ---------------------------------------------------------------------------
    def check_row(self, number, cells):
        code = self.required_text(cells, "code")
        if code in self.seen:
            raise RowError(
                "code",
                code,
                _("Producto repetido en el archivo (también en la fila %(row)s).")
                % {"row": self.seen[code]},
            )
        self.seen[code] = number
        existing = self.existing.get(code)
        sheet = self.sheet
        values = {
            "code": code,
            "description": sheet.text(cells, "description")
            or (existing.description if existing else ""),
            "unit_price": sheet.money(cells, "unit_price"),
            "currency": self._currency(cells, existing),
            "sat_product_key": sheet.text(cells, "sat_product_key").upper()
            or (existing.sat_product_key if existing else ""),
            "sat_unit_key": sheet.text(cells, "sat_unit_key").upper()
            or (existing.sat_unit_key if existing else ""),
            "unit_name": sheet.text(cells, "unit_name") or (existing.unit_name if existing else ""),
            "active": self._active(cells, existing),
            **self._taxes(cells, existing),
        }
        if values["unit_price"] is None and existing is not None:
            values["unit_price"] = existing.unit_price
        for field_name, message in product_errors(
            self.organization, values, instance=existing
        ).items():
            shown = sheet.text(cells, field_name) if field_name in sheet.mapping else ""
            self.error(number, field_name, shown or values.get(field_name), message)
        if existing is None:
            return {"action": "create", "values": values}
        if all(_same(getattr(existing, k), values[k]) for k in COMPARED):
            return {"action": "unchanged"}
        return {"action": "update", "pk": existing.pk, "values": values}

    def _currency(self, cells, existing) -> str:
        if not self.sheet.text(cells, "currency") and existing is not None:
            return existing.currency
        return self.currency(cells)

    def write(self):
        changes = self.records_for("create") + self.records_for("update")
        products = {p.pk: p for p in self.existing.values()}
        for done, record in enumerate(changes, start=1):
            save_product(
                organization=self.organization,
                actor=self.actor,
                instance=products.get(record.get("pk")),
                **record["values"],
            )
            if done % PROGRESS_EVERY == 0:
                self.progress(done, len(changes))
        return []


def _same(stored, new) -> bool:
    if isinstance(stored, Decimal) or isinstance(new, Decimal):
        return stored is not None and new is not None and Decimal(stored) == Decimal(new)
    return stored == new
