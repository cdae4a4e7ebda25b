"""Back-office forms for payments, their allocation and applying credit notes."""

from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cartera.customers.models import Customer
from cartera.invoices.forms import CustomerChoiceField
from cartera.invoices.models import Invoice
from cartera.lib.forms import DATE_WIDGET, BackOfficeForm, ModelChoiceField
from cartera.lib.money import CURRENCY_CHOICES

from .choices import PaymentMethod, PaymentStatus

MODE_OLDEST = "oldest"
MODE_PICK = "pick"
MODE_NONE = "none"
ALLOCATION_MODES = [
    (MODE_OLDEST, _("Aplicar a las facturas más antiguas")),
    (MODE_PICK, _("Elegir facturas e importes")),
    (MODE_NONE, _("No aplicar por ahora (queda como saldo a favor)")),
]


class AllocationFieldsMixin:
    """Adds an ``alloc_<invoice id>`` amount field for each open invoice offered."""

    def add_invoice_fields(self, invoices):
        self.invoices = list(invoices)
        for invoice in self.invoices:
            self.fields[f"alloc_{invoice.pk}"] = forms.DecimalField(
                label=invoice.number,
                required=False,
                min_value=Decimal("0"),
                max_digits=18,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "class": "allocation-input"}),
            )

    def invoice_rows(self):
        return [(invoice, self[f"alloc_{invoice.pk}"]) for invoice in self.invoices]

    def picked(self) -> list[tuple[Invoice, Decimal]]:
        return [
            (invoice, self.cleaned_data[f"alloc_{invoice.pk}"])
            for invoice in self.invoices
            if self.cleaned_data.get(f"alloc_{invoice.pk}")
        ]

    def clean_picked(self, mode: str, available: Decimal | None):
        if mode != MODE_PICK:
            return
        picked = self.picked()
        if not picked:
            self.add_error(None, _("Indica cuánto aplicar al menos a una factura."))
            return
        if available is not None and sum(amount for _, amount in picked) > available:
            self.add_error(None, _("La suma a aplicar excede el importe disponible del pago."))


class PaymentForm(AllocationFieldsMixin, BackOfficeForm):
    customer = CustomerChoiceField(label=_("Cliente"), queryset=Customer.objects.none())
    date = forms.DateField(label=_("Fecha del pago"), widget=DATE_WIDGET)
    amount = forms.DecimalField(
        label=_("Importe"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    method = forms.ChoiceField(label=_("Forma de pago"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Referencia"),
        max_length=120,
        required=False,
        help_text=_("Clave de rastreo SPEI, número de cheque, folio del depósito…"),
    )
    allocation_mode = forms.ChoiceField(
        label=_("Aplicación"),
        choices=ALLOCATION_MODES,
        widget=forms.RadioSelect,
        initial=MODE_OLDEST,
    )

    def __init__(self, *args, customers, invoices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("name")
        # choosing a customer brings their open invoices into the allocation picker
        self.fields["customer"].widget.results_attrs = {
            "hx-get": reverse("payments:create"),
            "hx-trigger": "change",
            "hx-include": "[name='customer']:checked",
            "hx-target": "#allocation-picker",
            "hx-select": "#allocation-picker",
            "hx-swap": "outerHTML",
        }
        self.add_invoice_fields(invoices)

    def clean(self):
        cleaned = super().clean()
        mode = cleaned.get("allocation_mode")
        if mode:
            self.clean_picked(mode, cleaned.get("amount"))
            currency = cleaned.get("currency")
            for invoice, _amount in self.picked() if mode == MODE_PICK else []:
                if currency and invoice.currency != currency:
                    self.add_error(
                        f"alloc_{invoice.pk}",
                        _("La factura está en %(cur)s.") % {"cur": invoice.currency},
                    )
        return cleaned

    def payment_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "date": data["date"],
            "amount": data["amount"],
            "currency": data["currency"],
            "method": data["method"],
            "reference": data["reference"],
            "status": PaymentStatus.CONFIRMED,
        }


class ApplyRemainderForm(AllocationFieldsMixin, BackOfficeForm):
    allocation_mode = forms.ChoiceField(
        label=_("Aplicación"),
        choices=ALLOCATION_MODES[:2],
        widget=forms.RadioSelect,
        initial=MODE_OLDEST,
    )

    def __init__(self, *args, payment, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.payment = payment
        self.add_invoice_fields(invoices)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("allocation_mode"):
            self.clean_picked(cleaned["allocation_mode"], self.payment.unallocated)
        return cleaned


class ApplyCreditNoteForm(BackOfficeForm):
    invoice = ModelChoiceField(label=_("Factura"), queryset=Invoice.objects.none())
    amount = forms.DecimalField(
        label=_("Importe a aplicar"), max_digits=18, decimal_places=2, min_value=Decimal("0.01")
    )

    def __init__(self, *args, invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoice"].queryset = invoices
        self.fields["invoice"].label_from_instance = lambda inv: (
            f"{inv.number} · {inv.due_date:%Y-%m-%d} · {inv.balance} {inv.currency}"
        )


class PaymentFilterForm(forms.Form):
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label=_("Estado"), choices=[("", _("Todos")), *PaymentStatus.choices], required=False
    )
    currency = forms.ChoiceField(
        label=_("Moneda"), choices=[("", _("Todas")), *CURRENCY_CHOICES], required=False
    )
    unallocated = forms.ChoiceField(
        label=_("Saldo por aplicar"),
        choices=[("", _("Todos")), ("yes", _("Con saldo por aplicar"))],
        required=False,
    )
