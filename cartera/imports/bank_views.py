"""Back office: import a bank statement — choose the account, upload, see a preview of
what the file says (and, for a bank spreadsheet, its layout, editable), then import."""

import json
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cartera.lib.dates import local_today
from cartera.lib.money import CURRENCY_CHOICES
from cartera.orgs.access import Action, require
from cartera.orgs.decorators import org_member_required
from cartera.payments.models import BankAccount
from cartera.payments.statements import StatementError

from .bank import PRESETS, SheetPreset, parse_statement
from .statement_import import account_named, import_bank_file, sheet_preset_for

MAX_STATEMENT = 50 * 1024 * 1024
PREVIEW_ROWS = 20
FORMATS = [
    ("auto", gettext_lazy("Detectar")),
    ("camt", "CAMT.053 / 052 / 054 (ISO 20022)"),
    ("mt940", "MT940"),
    ("ofx", "OFX"),
    ("csv", gettext_lazy("Hoja del banco (CSV o Excel)")),
    ("cep", gettext_lazy("CEP de SPEI (XML o .zip de XML)")),
]


class BankUploadForm(forms.Form):
    account = forms.ChoiceField(label=gettext_lazy("Cuenta"), required=False)
    new_account = forms.CharField(
        label=gettext_lazy("…o una cuenta nueva (nombre)"), max_length=80, required=False
    )
    currency = forms.ChoiceField(
        label=gettext_lazy("Moneda de la cuenta nueva"), choices=CURRENCY_CHOICES
    )
    format = forms.ChoiceField(label=gettext_lazy("Formato"), choices=FORMATS, initial="auto")
    preset = forms.ChoiceField(label=gettext_lazy("Banco (para hojas)"), required=False)
    layout = forms.CharField(
        label=gettext_lazy("Formato de la hoja (avanzado, JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        required=False,
    )
    file = forms.FileField(label=gettext_lazy("Estado de cuenta"), required=False)
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False, max_length=255)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        accounts = BankAccount.objects.filter(organization=organization)
        self.fields["account"].choices = [("", "—")] + [(str(a.pk), a.name) for a in accounts]
        self.fields["preset"].choices = [("", gettext_lazy("Detectar por los encabezados"))] + [
            (key, preset.label or key) for key, preset in PRESETS.items()
        ]
        self.fields["currency"].initial = organization.default_currency
        self.accounts = {str(a.pk): a for a in accounts}

    def clean_layout(self):
        text = self.cleaned_data["layout"].strip()
        if not text:
            return None
        try:
            return SheetPreset.from_dict(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise forms.ValidationError(
                _("El formato de la hoja no es válido: %(error)s") % {"error": exc}
            ) from exc

    def clean(self):
        data = super().clean()
        if not data.get("account") and not (data.get("new_account") or "").strip():
            self.add_error("account", _("Elija una cuenta o escriba el nombre de una nueva."))
        if not data.get("file") and not data.get("token"):
            self.add_error("file", _("Elija el archivo del estado de cuenta."))
        return data


def _held_path(organization, token: str) -> str:
    return f"org-{organization.pk}/bank-uploads/{token}.bin"


def _hold(organization, data: bytes) -> str:
    token = secrets.token_urlsafe(16)
    default_storage.save(_held_path(organization, token), ContentFile(data))
    return token


def _held(organization, token: str) -> bytes | None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _held_path(organization, token)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return handle.read()


def _release(organization, token: str) -> None:
    path = _held_path(organization, token)
    if default_storage.exists(path):
        default_storage.delete(path)


def _file_data(form, organization):
    upload = form.cleaned_data.get("file")
    if upload is not None:
        data = upload.read(MAX_STATEMENT + 1)
        if len(data) > MAX_STATEMENT:
            form.add_error("file", _("El archivo es demasiado grande (máximo 50 MB)."))
            return None, "", ""
        return data, upload.name, _hold(organization, data)
    token = form.cleaned_data.get("token", "")
    data = _held(organization, token)
    if data is None:
        form.add_error("file", _("Vuelva a elegir el archivo: la vista previa expiró."))
        return None, "", ""
    return data, (form.cleaned_data.get("filename") or "estado").rsplit("/", 1)[-1], token


def _account(form, organization, actor):
    chosen = form.accounts.get(form.cleaned_data.get("account") or "")
    if chosen is not None:
        return chosen
    return account_named(
        organization=organization,
        name=form.cleaned_data["new_account"],
        currency=form.cleaned_data["currency"],
        actor=actor,
    )


def _preset(form, account, data):
    if form.cleaned_data.get("layout") is not None:
        return form.cleaned_data["layout"]
    if form.cleaned_data.get("format") not in ("auto", "csv"):
        return None
    return sheet_preset_for(account, form.cleaned_data.get("preset") or "", data)


@org_member_required
def bank_upload(request):
    membership = require(request, Action.CONFIRM_PAYMENTS)
    organization = membership.organization
    form = BankUploadForm(request.POST or None, request.FILES or None, organization=organization)
    context = {"form": form, "section": "imports"}
    if request.method == "POST" and form.is_valid():
        data, filename, token = _file_data(form, organization)
        if data is not None:
            account = form.accounts.get(form.cleaned_data.get("account") or "")
            preset = _preset(form, account, data)
            if request.POST.get("action") == "import":
                return _import(request, form, organization, data, filename, token)
            context.update(_preview(data, filename, form.cleaned_data["format"], preset))
            context.update(token=token, filename=filename)
    return render(request, "imports/bank_upload.html", context, status=400 if form.errors else 200)


def _preview(data, filename, fmt, preset) -> dict:
    try:
        parsed = parse_statement(data, format=fmt, preset=preset, filename=filename)
    except StatementError as exc:
        return {"problem": str(exc)}
    layout = (
        json.dumps(preset.to_dict(), ensure_ascii=False, indent=1)
        if preset and parsed.format.startswith("csv")
        else ""
    )
    return {
        "parsed": parsed,
        "rows": parsed.movements[:PREVIEW_ROWS],
        "credits": sum(1 for m in parsed.movements if m.amount > 0),
        "layout_json": layout,
    }


def _import(request, form, organization, data, filename, token):
    try:
        account = _account(form, organization, request.user)
    except ValidationError as exc:
        form.add_error("new_account", " ".join(exc.messages))
        return render(request, "imports/bank_upload.html", {"form": form}, status=400)
    result = import_bank_file(
        account=account,
        data=data,
        filename=filename,
        actor=request.user,
        today=local_today(organization.timezone),
        fmt=form.cleaned_data["format"],
        preset=_preset(form, account, data),
    )
    if result["status"] != "ok":
        problem = "; ".join(
            (f"{e['line']}: " if e.get("line") else "") + e["message"] for e in result["errors"]
        )
        context = {"form": form, "problem": problem, "token": token, "filename": filename}
        return render(request, "imports/bank_upload.html", context, status=400)
    _release(organization, token)
    messages.success(request, _summary(result))
    for warning in result["warnings"]:
        messages.warning(request, warning)
    return redirect("payments:bank_review")


def _summary(result) -> str:
    text = _("%(created)d movimientos nuevos, %(unchanged)d ya importados.") % result
    done = result.get("reconciled")
    if done:
        text += (
            " "
            + _(
                "%(matched)d pagos aplicados solos, %(suggested)d con sugerencias, %(unmatched)d sin identificar."
            )
            % done
        )
    return text
