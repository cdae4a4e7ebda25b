"""Back-office forms for invoices. Rules live in the services (cartera.invoices.services)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cartera.customers.forms import UserChoiceField, members_of
from cartera.customers.models import Customer
from cartera.customers.widgets import CustomerSearchWidget
from cartera.lib.forms import DATE_WIDGET, BackOfficeForm, ModelChoiceField
from cartera.lib.money import CURRENCY_CHOICES

from .choices import InvoiceStatus, PaymentMethodSAT, PurchaseOrderStatus, SupplierPortalState
from .models import PurchaseOrder


class CustomerChoiceField(ModelChoiceField):
    """A customer of the form's queryset, picked by searching (no list of them all)."""

    widget = CustomerSearchWidget

    def label_from_instance(self, obj):
        return f"{obj.name} · {obj.external_id}"


class InvoiceForm(BackOfficeForm):
    customer = CustomerChoiceField(label=_("Cliente"), queryset=Customer.objects.none())
    number = forms.CharField(
        label=_("Folio"), max_length=64, help_text=_("Serie y folio, p. ej. A-1024.")
    )
    external_id = forms.CharField(
        label=_("Clave externa"),
        max_length=64,
        required=False,
        help_text=_("Vacía: se usa el folio."),
    )
    fiscal_uuid = forms.CharField(label=_("UUID fiscal"), max_length=64, required=False)
    issue_date = forms.DateField(label=_("Fecha de emisión"), widget=DATE_WIDGET)
    due_date = forms.DateField(
        label=_("Fecha de vencimiento"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("Vacía: emisión más los días de crédito del cliente."),
    )
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    total = forms.DecimalField(label=_("Total"), max_digits=18, decimal_places=2, min_value=0)
    payment_method = forms.ChoiceField(
        label=_("Método de pago (SAT)"), choices=PaymentMethodSAT.choices, required=False
    )
    purchase_order = forms.CharField(label=_("Orden de compra"), max_length=64, required=False)
    is_factored = forms.BooleanField(label=_("Cedida a factoraje (no se cobra)"), required=False)
    factor_name = forms.CharField(label=_("Factor"), max_length=200, required=False)

    EDITABLE = (
        "number",
        "external_id",
        "fiscal_uuid",
        "issue_date",
        "due_date",
        "currency",
        "total",
        "payment_method",
        "purchase_order",
        "is_factored",
        "factor_name",
    )

    def __init__(self, *args, customers, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("name")
        if editing:
            del self.fields["customer"]
            self.fields["due_date"].required = True
            self.fields["external_id"].required = True

    @classmethod
    def initial_from(cls, invoice) -> dict:
        return {name: getattr(invoice, name) for name in cls.EDITABLE}

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.EDITABLE}


class VoidInvoiceForm(BackOfficeForm):
    reason = forms.CharField(
        label=_("Motivo de la cancelación"), max_length=300, widget=forms.TextInput
    )


class AttachmentForm(BackOfficeForm):
    file = forms.FileField(
        label=_("Archivo PDF o XML"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xml,application/pdf,text/xml"}),
    )


STATUS_FILTERS = [
    ("", _("Abiertas")),
    ("overdue", _("Vencidas")),
    (InvoiceStatus.PAID, _("Pagadas")),
    (InvoiceStatus.VOID, _("Canceladas")),
    ("all", _("Todas")),
]


class InvoiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Folio o UUID"), required=False)
    status = forms.ChoiceField(label=_("Estado"), choices=STATUS_FILTERS, required=False)
    overdue_min = forms.IntegerField(label=_("Días vencida desde"), required=False, min_value=0)
    overdue_max = forms.IntegerField(label=_("hasta"), required=False, min_value=0)
    # A customer id (links from the customer page); not a select, portfolios can be large.
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)
    currency = forms.ChoiceField(
        label=_("Moneda"), choices=[("", _("Todas")), *CURRENCY_CHOICES], required=False
    )
    agent = UserChoiceField(
        label=_("Gestor"), queryset=Customer.objects.none(), required=False, empty_label=_("Todos")
    )
    factored = forms.ChoiceField(
        label=_("Factoraje"),
        choices=[("", _("Todas")), ("yes", _("Cedidas")), ("no", _("No cedidas"))],
        required=False,
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = members_of(organization)


class PurchaseOrderForm(BackOfficeForm):
    customer = CustomerChoiceField(label=_("Cliente"), queryset=Customer.objects.none())
    number = forms.CharField(label=_("Número de orden"), max_length=64)
    amount = forms.DecimalField(label=_("Importe"), max_digits=18, decimal_places=2, min_value=0)
    currency = forms.ChoiceField(label=_("Moneda"), choices=CURRENCY_CHOICES)
    issue_date = forms.DateField(label=_("Fecha de emisión"), widget=DATE_WIDGET)
    expiry_date = forms.DateField(
        label=_("Vigencia hasta"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("Vacía: sin fecha de vencimiento."),
    )
    status = forms.ChoiceField(label=_("Estado"), choices=PurchaseOrderStatus.choices)
    notes = forms.CharField(
        label=_("Notas"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    file = forms.FileField(
        label=_("Archivo de la orden (PDF, PNG o JPG)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    EDITABLE = ("number", "amount", "currency", "issue_date", "expiry_date", "status", "notes")

    def __init__(self, *args, customers, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers.order_by("name")
        if editing:
            del self.fields["customer"]

    @classmethod
    def initial_from(cls, order: PurchaseOrder) -> dict:
        return {name: getattr(order, name) for name in cls.EDITABLE}

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.EDITABLE}


PO_BALANCE_FILTERS = [
    ("", _("Todas")),
    ("available", _("Con saldo")),
    ("used", _("Sin saldo")),
    ("over", _("Excedidas")),
]


class PurchaseOrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Número de orden"), required=False)
    status = forms.ChoiceField(
        label=_("Estado"), choices=[("", _("Todas")), *PurchaseOrderStatus.choices], required=False
    )
    balance = forms.ChoiceField(label=_("Saldo"), choices=PO_BALANCE_FILTERS, required=False)
    currency = forms.ChoiceField(
        label=_("Moneda"), choices=[("", _("Todas")), *CURRENCY_CHOICES], required=False
    )
    customer = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MatchOrderForm(BackOfficeForm):
    order = ModelChoiceField(
        label=_("Orden de compra"), queryset=PurchaseOrder.objects.none(), empty_label=None
    )

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["order"].queryset = orders


class PortalStatusForm(BackOfficeForm):
    status = forms.ChoiceField(
        label=_("Estado en el portal del cliente"), choices=SupplierPortalState.choices
    )
    date = forms.DateField(label=_("Fecha"), widget=DATE_WIDGET)
    payment_date = forms.DateField(
        label=_("Fecha de pago programada"),
        widget=DATE_WIDGET,
        required=False,
        help_text=_("Con una aprobación o un pago programado se registra una promesa de pago."),
    )
    reason = forms.CharField(
        label=_("Motivo (si la rechazó)"),
        max_length=2000,
        required=False,
        widget=forms.TextInput,
    )
