"""Billing staff screens: what the library owes and is owed, invoices, budgets, reports and CSV exports.

Thin: they read through ``selectors`` and change through ``services``; a refused change is a
message on the page, never a 500.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from requests_app.access import staff_view
from requests_app.models import IllRequest, Library
from requests_app.utilities.csv_export import csv_download
from requests_app.utilities.ids import parse_id

from . import selectors, services
from .forms import (
    AdjustForm,
    BudgetForm,
    ExchangeRateForm,
    FeeScheduleForm,
    InvoiceRunForm,
    LostItemForm,
    PaymentForm,
    PeriodForm,
    ReasonForm,
    SettleForm,
)
from .models import Budget, Charge, ChargeStatus, Direction, Invoice, InvoiceStatus
from .pdf import render_invoice

PAGE_SIZE = 50
PERMISSION = "billing.manage_billing"


def billing_staff(view):
    """The view's user must hold ``billing.manage_billing`` and work for a member library (passed on)."""
    return staff_view(PERMISSION, gettext_lazy("This page is for billing staff, and your account has no billing "
                                               "role."))(view)


def _refused(request: HttpRequest, exc: services.BillingError) -> None:
    messages.error(request, exc.message)


def _form_errors(request: HttpRequest, form) -> None:
    for field, errors in form.errors.items():
        label = str(form.fields[field].label or field.replace("_", " ").capitalize()) if field in form.fields else ""
        messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))


@billing_staff
def dashboard(request: HttpRequest, library: Library) -> HttpResponse:
    return render(request, "billing/dashboard.html", {
        "library": library,
        "open_totals": selectors.open_totals(library=library),
        "budgets": selectors.budget_statuses(library=library, on=timezone.localdate()),
        "recent_invoices": selectors.staff_invoices(library=library)[:10],
    })


# Invoices ----------------------------------------------------------------------------------

@billing_staff
def invoice_list(request: HttpRequest, library: Library) -> HttpResponse:
    status = request.GET.get("status") or None
    if status and status not in InvoiceStatus.values:
        raise Http404(gettext("No such status."))
    page = Paginator(selectors.staff_invoices(library=library, status=status), PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "billing/invoice_list.html", {"page": page, "status": status,
                                                         "statuses": InvoiceStatus.choices})


def _created_message(invoices: list[Invoice]) -> str:
    if not invoices:
        return gettext("No invoice created: nothing is waiting to be invoiced for that month (already invoiced?).")
    links = format_html_join(", ", '<a href="{}">{}</a>', (
        (reverse("billing:invoice", args=[i.pk]), f"{i.number} ({i.recipient_symbol}, {i.total} {i.currency})")
        for i in invoices))
    return format_html(ngettext("{} invoice created: {}.", "{} invoices created: {}.", len(invoices)), len(invoices),
                       links)


@billing_staff
def invoice_create(request: HttpRequest, library: Library) -> HttpResponse:
    """Invoice a month now (this month: up to yesterday), through the monthly job's own service.

    GET shows what would be invoiced per partner; POST makes the invoices (drafts, or issued at once).
    """
    if request.method == "POST":
        form = InvoiceRunForm(request.POST, library=library)
        if form.is_valid():
            month = form.cleaned_data["month"]
            made = services.create_monthly_invoices(library=library, month=month,
                                                    issue=form.cleaned_data["issue"])
            (messages.success if made else messages.info)(request, _created_message(made))
            return redirect(reverse("billing:invoice-create") + f"?month={month:%Y-%m}")
    else:
        form = InvoiceRunForm(request.GET if "month" in request.GET else None, library=library)
    month = form.cleaned_data["month"] if form.is_bound and form.is_valid() else None
    if month is None and not form.is_bound:
        month = dt.datetime.strptime(form.fields["month"].initial, "%Y-%m").date()
    groups = selectors.invoiceable_groups(library=library, month=month) if month else []
    return render(request, "billing/invoice_create.html", {
        "form": form, "month": month, "groups": groups, "month_value": f"{month:%Y-%m}" if month else "",
    }, status=200 if not form.errors else 400)


def pdf_preview_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@billing_staff
def invoice_create_preview(request: HttpRequest, library: Library) -> HttpResponse:
    """The PDF the create page would make for one partner, marked PREVIEW; nothing is stored."""
    form = InvoiceRunForm(request.GET, library=library)
    partner_id = parse_id(request.GET.get("partner", ""))
    currency = request.GET.get("currency", "")
    if not form.is_valid() or partner_id is None:
        raise Http404(gettext("Choose a month and a partner."))
    try:
        invoice, lines = services.preview_invoice(library=library, partner_id=partner_id, currency=currency,
                                                  month=form.cleaned_data["month"])
    except services.BillingError as exc:
        raise Http404(exc.message) from None
    return pdf_preview_response(render_invoice(invoice, lines=lines, preview=True),
                                f"PREVIEW-{invoice.recipient_symbol}-{invoice.period_start:%Y-%m}.pdf")


def _invoice(library: Library, pk: int) -> Invoice:
    try:
        return selectors.invoice_detail(library=library, pk=pk)
    except Invoice.DoesNotExist:
        raise Http404(gettext("No such invoice.")) from None


@billing_staff
def invoice_detail(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    return render(request, "billing/invoice_detail.html", {
        "invoice": invoice, "outstanding": invoice.total - invoice.paid,
        "payment_form": PaymentForm(), "reason_form": ReasonForm(),
    })


def pdf_response(invoice: Invoice) -> FileResponse:
    """The stored PDF (rendered now if the render task has not run yet) as a download."""
    if not invoice.pdf:
        services.store_invoice_pdf(invoice=invoice)
    return FileResponse(invoice.pdf.open("rb"), as_attachment=True, filename=f"{invoice.number}.pdf",
                        content_type="application/pdf")


@billing_staff
def invoice_pdf(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    if invoice.is_draft:
        # A draft has no PDF of its own: one stored now would go out at issue without its date.
        return redirect("billing:invoice-preview", pk=pk)
    return pdf_response(invoice)


@billing_staff
def invoice_preview(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    """A draft's PDF marked PREVIEW, rendered now and stored nowhere (the real one is made at issue)."""
    invoice = _invoice(library, pk)
    if not invoice.is_draft:
        messages.info(request, gettext("%(number)s is %(status)s: download its PDF.")
                      % {"number": invoice.number, "status": invoice.get_status_display().lower()})
        return redirect("billing:invoice", pk=pk)
    return pdf_preview_response(render_invoice(invoice, preview=True), f"PREVIEW-{invoice.number}.pdf")


@billing_staff
@require_POST
def invoice_payment(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    form = PaymentForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            services.record_payment(invoice=invoice, actor=request.user, **form.cleaned_data)
        except services.BillingError as exc:
            _refused(request, exc)
        else:
            messages.success(request, gettext("Payment of %(amount)s %(currency)s recorded.")
                             % {"amount": form.cleaned_data["amount"], "currency": invoice.currency})
    return redirect("billing:invoice", pk=pk)


@billing_staff
@require_POST
def invoice_issue(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    try:
        services.issue_invoice(invoice=invoice)
    except services.BillingError as exc:
        _refused(request, exc)
    else:
        if invoice.recipient_email:
            messages.success(request, gettext("%(number)s is issued; the PDF is being made and e-mailed to "
                                              "%(email)s.") % {"number": invoice.number,
                                                              "email": invoice.recipient_email})
        else:
            messages.success(request, gettext("%(number)s is issued; the PDF is being made and e-mailed to nobody "
                                              "(the partner has no billing e-mail).") % {"number": invoice.number})
    return redirect("billing:invoice", pk=pk)


@billing_staff
@require_POST
def invoice_void(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    try:
        services.void_invoice(invoice=invoice, actor=request.user, reason=request.POST.get("reason", ""))
    except services.BillingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("%(number)s is void; its charges will be invoiced again.")
                         % {"number": invoice.number})
    return redirect("billing:invoice", pk=pk)


@billing_staff
@require_POST
def invoice_credit_note(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    invoice = _invoice(library, pk)
    try:
        note = services.issue_credit_note(invoice=invoice, actor=request.user, reason=request.POST.get("reason", ""))
    except services.BillingError as exc:
        _refused(request, exc)
        return redirect("billing:invoice", pk=pk)
    messages.success(request, gettext("Credit note %(note)s issued; %(number)s is void.")
                     % {"note": note.number, "number": invoice.number})
    return redirect("billing:invoice", pk=note.pk)


# Charges -----------------------------------------------------------------------------------

@billing_staff
def charge_list(request: HttpRequest, library: Library) -> HttpResponse:
    direction = request.GET.get("direction") or None
    status = request.GET.get("status") or None
    if (direction and direction not in Direction.values) or (status and status not in ChargeStatus.values):
        raise Http404(gettext("No such filter."))
    page = Paginator(selectors.staff_charges(library=library, direction=direction, status=status),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "billing/charge_list.html", {
        "page": page, "direction": direction, "status": status, "directions": Direction.choices,
        "statuses": ChargeStatus.choices,
    })


@billing_staff
@require_POST
def charges_settle(request: HttpRequest, library: Library) -> HttpResponse:
    """Mark the chosen payables (paid to lenders) or patron charges (paid by patrons) settled."""
    form = SettleForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            count = services.settle_charges(library=library, charge_ids=form.cleaned_data["charge"],
                                            settled_on=form.cleaned_data["settled_on"],
                                            reference=form.cleaned_data["reference"], actor=request.user)
        except services.BillingError as exc:
            _refused(request, exc)
        else:
            messages.success(request, ngettext("%(count)s charge settled.", "%(count)s charges settled.", count)
                             % {"count": count})
    query = request.GET.urlencode()
    return redirect(reverse("billing:charges") + (f"?{query}" if query else ""))


def _charge(library: Library, pk: int) -> Charge:
    try:
        return selectors.charge_detail(library=library, pk=pk)
    except Charge.DoesNotExist:
        raise Http404(gettext("No such charge.")) from None


@billing_staff
def charge_detail(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    return render(request, "billing/charge_detail.html", {
        "charge": _charge(library, pk), "waive_form": ReasonForm(), "adjust_form": AdjustForm(),
    })


@billing_staff
@require_POST
def charge_waive(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    charge = _charge(library, pk)
    try:
        services.waive_charge(charge=charge, actor=request.user, reason=request.POST.get("reason", ""))
    except services.BillingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Charge waived."))
    return redirect("billing:charge", pk=pk)


@billing_staff
@require_POST
def charge_adjust(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    charge = _charge(library, pk)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return redirect("billing:charge", pk=pk)
    try:
        services.adjust_charge(charge=charge, actor=request.user, **form.cleaned_data)
    except services.BillingError as exc:
        _refused(request, exc)
    else:
        messages.success(request, gettext("Charge adjusted."))
    return redirect("billing:charge", pk=pk)


@billing_staff
def lost_item(request: HttpRequest, library: Library, request_id: int) -> HttpResponse:
    """Charge a lost item on one of our requests: the borrower owes us (lending) or we owe the lender."""
    try:
        ill_request = IllRequest.objects.select_related("library", "partner").get(library=library, pk=request_id)
    except IllRequest.DoesNotExist:
        raise Http404(gettext("No such request.")) from None
    form = LostItemForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            try:
                charge = services.record_lost_item_charge(request=ill_request, actor=request.user,
                                                          **form.cleaned_data)
            except services.BillingError as exc:
                _refused(request, exc)
            else:
                messages.success(request, gettext("Lost-item charge of %(amount)s %(currency)s recorded.")
                                 % {"amount": charge.amount, "currency": charge.currency})
                return redirect("billing:charge", pk=charge.pk)
    return render(request, "billing/lost_item.html", {"form": form, "ill_request": ill_request})


# Budgets and reports -----------------------------------------------------------------------

def _create_from_form(request: HttpRequest, form, create, **fixed) -> bool:
    """Validate ``form``, call the ``create`` service with its data; service errors land on the form."""
    if not form.is_valid():
        return False
    try:
        create(**fixed, **form.cleaned_data)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return False
    return True


@billing_staff
def budgets(request: HttpRequest, library: Library) -> HttpResponse:
    return render(request, "billing/budgets.html", {"statuses": selectors.budget_statuses(library=library)})


@billing_staff
def budget_new(request: HttpRequest, library: Library) -> HttpResponse:
    form = BudgetForm(request.POST or None, initial={"currency": library.currency})
    if request.method == "POST" and _create_from_form(request, form, services.create_budget, library=library):
        messages.success(request, gettext("Budget %(year)s added.") % {"year": form.cleaned_data["fiscal_year"]})
        return redirect("billing:budgets")
    return render(request, "billing/budget_form.html", {"form": form, "budget": None})


@billing_staff
def budget_edit(request: HttpRequest, library: Library, pk: int) -> HttpResponse:
    try:
        budget = selectors.budget(library=library, pk=pk)
    except Budget.DoesNotExist:
        raise Http404(gettext("No such budget.")) from None
    form = BudgetForm(request.POST or None, instance=budget)
    if request.method == "POST" and _create_from_form(request, form, services.update_budget, budget=budget):
        messages.success(request, gettext("Budget %(year)s changed.") % {"year": form.cleaned_data["fiscal_year"]})
        return redirect("billing:budgets")
    return render(request, "billing/budget_form.html", {"form": form, "budget": budget})


@billing_staff
def exchange_rates(request: HttpRequest, library: Library) -> HttpResponse:
    form = ExchangeRateForm(request.POST or None, initial={"base_currency": library.currency,
                                                           "valid_from": timezone.localdate()})
    if request.method == "POST" and _create_from_form(request, form, services.add_exchange_rate, library=library):
        messages.success(request, gettext("Exchange rate added."))
        return redirect("billing:exchange-rates")
    return render(request, "billing/exchange_rates.html", {"rows": selectors.exchange_rates(library=library),
                                                           "form": form, "library": library,
                                                           "fetched_from": settings.ILLMS_EXCHANGE_RATES_URL})


@billing_staff
def fee_schedules(request: HttpRequest, library: Library) -> HttpResponse:
    form = FeeScheduleForm(request.POST or None, initial={"currency": library.currency,
                                                          "effective_from": timezone.localdate()})
    if request.method == "POST" and _create_from_form(request, form, services.create_fee_schedule,
                                                      library=library):
        messages.success(request, gettext("Fee added."))
        return redirect("billing:fees")
    return render(request, "billing/fee_schedules.html", {"rows": selectors.fee_schedules(library=library),
                                                          "form": form, "library": library})


@billing_staff
def reports(request: HttpRequest, library: Library) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    return render(request, "billing/reports.html", {
        "form": form, "start": start, "end": end,
        "receivables": selectors.totals_by_partner_and_month(library=library, direction=Direction.RECEIVABLE,
                                                            start=start, end=end),
        "payables": selectors.totals_by_partner_and_month(library=library, direction=Direction.PAYABLE,
                                                         start=start, end=end),
        "aging": selectors.aging(library=library),
        "budgets": selectors.budget_statuses(library=library),
    })


REPORTS = ("receivables", "payables", "aging", "budgets")
CENTS = Decimal("0.01")


@billing_staff
def report_csv(request: HttpRequest, library: Library, report: str) -> HttpResponse:
    if report not in REPORTS:
        raise Http404(gettext("No such report."))
    start, end = PeriodForm(request.GET or None).period()
    header, rows = _report_rows(library, report, start, end)
    return csv_download(header, rows, filename=f"{library.symbol}-{report}-{start}-{end}.csv")


def _report_rows(library: Library, report: str, start: dt.date, end: dt.date) -> tuple[list[str], list[list]]:
    """The header and the rows of one report's CSV, read from the selectors the reports page uses."""
    if report in ("receivables", "payables"):
        direction = Direction.RECEIVABLE if report == "receivables" else Direction.PAYABLE
        totals = selectors.totals_by_partner_and_month(library=library, direction=direction, start=start, end=end)
        return ["partner", "partner name", "month", "currency", "total"], [
            [row["partner__symbol"], row["partner__name"], f"{row['month']:%Y-%m}", row["currency"],
             row["total"].quantize(CENTS)] for row in totals]
    if report == "aging":
        rows = []
        for row in selectors.aging(library=library):
            i = row["invoice"]
            rows.append([i.number, i.partner.symbol, i.issued_on, i.due_on, i.currency, i.total,
                         i.paid.quantize(i.total), row["outstanding"].quantize(i.total), row["days_overdue"],
                         row["bucket"]])
        return ["invoice", "partner", "issued", "due", "currency", "total", "paid", "outstanding", "days overdue",
                "bucket"], rows
    rows = []
    for s in selectors.budget_statuses(library=library):
        b = s.budget
        rows.append([b.fiscal_year, b.fund, b.starts_on, b.ends_on, b.currency, b.amount, s.spent.quantize(b.amount),
                     s.committed.quantize(b.amount), s.remaining.quantize(b.amount), s.used_percent,
                     "yes" if s.warning else "no", s.unconverted])
    return ["fiscal year", "fund", "starts", "ends", "currency", "budget", "spent", "committed", "remaining", "used %",
            "warning", "charges not converted"], rows
