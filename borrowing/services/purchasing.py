"""Buying instead of borrowing (purchase on demand): which rule proposes it, the order, and its path.

A member library's purchase rules (``PurchaseRule``, edited under Policies) are read at review:
``proposal`` says, for a request no lender holds, which rule proposes buying it and why (each criterion
met, in words), and why the others do not. Staff accept by ordering (``order_purchase``): the order is
written with the ``order_purchase`` event in one transaction, with its MARC record and CSV line
(``borrowing.purchase_orders``) and the e-mail to the vendor (``requests_app.mailer``: sent after commit,
by claim); the waiting lenders of the rota are skipped. Or they dismiss the proposal (``dismiss_purchase``,
an event: the page stops proposing). Billing records the cost (``billing.services.purchases``): committed
when ordered, adjusted to the invoice at receipt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from requests_app import mailer
from requests_app.models import Event, EventSource, IllRequest, Library, PatronCategory, RequestFormat, Role
from requests_app.services import perform
from requests_app.workflow import Actor, WorkflowError

from .. import purchase_orders
from ..models import PurchaseOrder, PurchaseRule, PurchaseVendor, RotaEntry, RotaStatus
from ..states import PURCHASE_SOURCES

#: What the mailer calls the order's attachments (the MARC record and the CSV).
ATTACHMENT = "purchase-order"
#: The e-mail kind of an order to a vendor.
ORDER_EMAIL = "purchase-order"
DISMISS_ACTION = "dismiss_purchase"


@dataclass
class RuleVerdict:
    """One rule read against one request: what it needs that holds, what does not, and a price still to check."""

    rule: PurchaseRule
    met: list[str] = field(default_factory=list)
    unmet: list[str] = field(default_factory=list)
    #: The rule has a price limit and no quote is known yet: it proposes, the order must keep to the limit.
    price_to_check: str = ""

    @property
    def proposes(self) -> bool:
        return not self.unmet

    @property
    def nearly(self) -> bool:
        """All but one criterion hold: worth saying why not."""
        return len(self.unmet) == 1


@dataclass
class Proposal:
    verdicts: list[RuleVerdict]
    dismissed: Event | None = None

    @property
    def proposing(self) -> RuleVerdict | None:
        return next((v for v in self.verdicts if v.proposes), None)

    @property
    def near_misses(self) -> list[RuleVerdict]:
        return [v for v in self.verdicts if v.nearly]


def _format_label(value: str) -> str:
    return str(dict(RequestFormat.choices).get(value, value))


def _category_label(value: str) -> str:
    return str(dict(PatronCategory.choices).get(value, value))


def evaluate(rule: PurchaseRule, request: IllRequest, *, quote: Decimal | None = None, quote_currency: str = "",
             today: dt.date | None = None) -> RuleVerdict:
    """What ``rule`` says of buying ``request`` (at ``quote`` in ``quote_currency`` when the price is known)."""
    today = today or timezone.localdate()
    verdict = RuleVerdict(rule)
    fmt = _format_label(request.format)
    if rule.exclude_theses and request.format == RequestFormat.THESIS:
        verdict.unmet.append(_("a thesis or dissertation: this rule never buys them"))
    if rule.formats:
        if request.format in rule.formats:
            verdict.met.append(_("the format is %(format)s") % {"format": fmt})
        else:
            verdict.unmet.append(_("the format is %(format)s, not one it buys (%(formats)s)") % {
                "format": fmt, "formats": ", ".join(_format_label(f) for f in rule.formats)})
    if rule.published_within_years:
        year = request.publication_year
        if year is None:
            verdict.unmet.append(_("the year of publication is not known (it buys only the last %(n)s years)")
                                 % {"n": rule.published_within_years})
        elif today.year - year <= rule.published_within_years:
            verdict.met.append(_("published in %(year)s, within %(n)s years") % {
                "year": year, "n": rule.published_within_years})
        else:
            verdict.unmet.append(_("published in %(year)s, more than %(n)s years ago") % {
                "year": year, "n": rule.published_within_years})
    if rule.patron_categories:
        category = request.patron_category
        if category and category in rule.patron_categories:
            verdict.met.append(_("the patron is %(category)s") % {"category": _category_label(category).lower()})
        else:
            verdict.unmet.append(_("the patron is %(category)s, not one it buys for (%(categories)s)") % {
                "category": (_category_label(category) if category else _("of no known category")).lower(),
                "categories": ", ".join(_category_label(c).lower() for c in rule.patron_categories)})
    if rule.max_price is not None:
        limit = f"{rule.max_price} {rule.currency}"
        if quote is None:
            verdict.price_to_check = _("the vendor's price must be at most %(limit)s") % {"limit": limit}
        elif quote_currency and quote_currency != rule.currency:
            verdict.unmet.append(_("the quote is in %(currency)s; its limit is %(limit)s") % {
                "currency": quote_currency, "limit": limit})
        elif quote <= rule.max_price:
            verdict.met.append(_("the price %(price)s %(currency)s is within %(limit)s") % {
                "price": quote, "currency": rule.currency, "limit": limit})
        else:
            verdict.unmet.append(_("the price %(price)s %(currency)s is over its limit of %(limit)s") % {
                "price": quote, "currency": quote_currency or rule.currency, "limit": limit})
    if not (rule.formats or rule.published_within_years or rule.patron_categories or rule.max_price is not None):
        verdict.met.append(_("it buys anything"))
    return verdict


def active_rules(library: Library) -> list[PurchaseRule]:
    return list(PurchaseRule.objects.filter(library=library, active=True).order_by("name", "pk"))


def active_vendors(library: Library) -> list[PurchaseVendor]:
    return list(PurchaseVendor.objects.filter(library=library, active=True).order_by("name", "pk"))


def has_vendor(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """The library has a vendor to buy from (Policies → Purchase on demand)."""
    if PurchaseVendor.objects.filter(library_id=request.library_id, active=True).exists():
        return None
    return _("The library has no purchase vendor (Policies → Purchase on demand).")


def buys_at_all(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """The library buys instead of borrowing: it has a purchase rule or a vendor."""
    library_id = request.library_id
    if (PurchaseRule.objects.filter(library_id=library_id, active=True).exists()
            or PurchaseVendor.objects.filter(library_id=library_id, active=True).exists()):
        return None
    return _("The library does not buy instead of borrowing (Policies → Purchase on demand).")


def proposal(request: IllRequest, *, today: dt.date | None = None) -> Proposal | None:
    """What the library's rules say of buying ``request``; ``None`` when it cannot be bought now (a lender
    holds it, it is bought already or closed) or the library has no rule. Two queries (the rules, a dismissal)."""
    if request.role != Role.BORROWING or request.status not in PURCHASE_SOURCES:
        return None
    rules = active_rules(request.library)
    if not rules:
        return None
    dismissed = (Event.objects.filter(request=request, action=DISMISS_ACTION).order_by("-created_at", "-pk")
                 .first())
    return Proposal([evaluate(rule, request, today=today) for rule in rules], dismissed=dismissed)


def _price(value: Any) -> Decimal:
    try:
        price = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise WorkflowError("invalid", _("The price must be a number, e.g. 45.00.")) from None
    if not price.is_finite() or price <= 0 or price >= Decimal("10000000"):
        raise WorkflowError("invalid", _("The price must be more than zero and less than 10,000,000."))
    return price


def _line(order: PurchaseOrder, request: IllRequest) -> purchase_orders.OrderLine:
    return purchase_orders.OrderLine(
        number=order.number, isbn=request.isbn, title=request.title, author=request.author, edition=request.edition,
        publisher=request.publisher, place=request.place_of_publication,
        year=str(request.publication_year or ""), quantity=order.quantity, unit_price=order.unit_price,
        currency=order.currency, fund=order.fund, note=order.note, vendor_name=order.vendor.name,
        customer_id=order.vendor.customer_id, account_number=order.vendor.account_number,
        library_symbol=request.library.symbol, request_number=request.number, ordered_at=order.ordered_at)


def order_number(request: IllRequest) -> str:
    return f"PO-{request.library.symbol}-{request.number}"[:40]


def _hold_note(request: IllRequest) -> str:
    return _("ILL purchase on demand: hold for the patron of request %(number)s") % {"number": request.number}


def order_purchase(*, request: IllRequest, actor: Actor, vendor: PurchaseVendor, unit_price: Any,
                   quantity: int = 1, fund: str = "", outside_rules: bool = False,
                   expected_status: str | None = None, source: str = EventSource.WEB) -> PurchaseOrder:
    """Buy ``request``'s item from ``vendor`` at ``unit_price`` (the vendor's quote, in its currency).

    A rule of the library must allow it at that price (the first that does is recorded), unless staff order
    ``outside_rules``. In one transaction: the ``order_purchase`` event (the request is *purchase ordered*),
    the order with its MARC record and CSV line, the e-mail to the vendor, the rota's waiting lenders skipped.
    Raises ``WorkflowError``: ``invalid`` (a price, quantity or vendor that is not right, no rule allowing it),
    and as ``perform`` does (``not_allowed`` once a lender holds the request, ``conflict``...).
    """
    price = _price(unit_price)
    if not isinstance(quantity, int) or not 1 <= quantity <= 99:
        raise WorkflowError("invalid", _("The quantity must be between 1 and 99."))
    if vendor.library_id != request.library_id or not vendor.active:
        raise WorkflowError("invalid", _("Choose one of the library's active vendors."))
    verdicts = [evaluate(rule, request, quote=price, quote_currency=vendor.currency)
                for rule in active_rules(request.library)]
    allowing = next((v for v in verdicts if v.proposes), None)
    if allowing is None and not outside_rules:
        why = "; ".join(f"{v.rule.name}: {', '.join(v.unmet)}" for v in verdicts) or _("the library has no rule")
        raise WorkflowError("invalid", _("No purchase rule allows this (%(why)s). Tick “Order outside the rules” "
                                         "to buy it anyway.") % {"why": why})
    rule = allowing.rule if allowing else None
    fund = (fund or "").strip()[:100] or (rule.fund if rule else "") or request.patron_department
    now = timezone.now()
    with transaction.atomic():
        done = perform(request=request, action="order_purchase", actor=actor, source=source,
                       expected_status=expected_status,
                       note=(_("Bought instead of borrowed under the rule “%(rule)s”") % {"rule": rule.name}
                             if rule else _("Bought instead of borrowed, outside the purchase rules")),
                       data={"vendor": vendor.name, "order_number": order_number(request), "quantity": quantity,
                             "unit_price": str(price), "currency": vendor.currency, "fund": fund,
                             "rule": rule.name if rule else ""})
        order = PurchaseOrder(request=done, library=done.library, vendor=vendor, rule=rule,
                              rule_name=rule.name if rule else "", number=order_number(done), quantity=quantity,
                              unit_price=price, currency=vendor.currency, fund=fund, note=_hold_note(done)[:300],
                              ordered_at=now, ordered_by=actor.user)
        line = _line(order, done)
        order.marc_record = purchase_orders.marc_record(line)
        order.csv_text = purchase_orders.csv_text(line)
        order.save()
        RotaEntry.objects.filter(request=done, status=RotaStatus.PENDING).update(
            status=RotaStatus.SKIPPED, reason="Bought instead")
        mailer.write(_order_email(order, done))
    return order


def _order_email(order: PurchaseOrder, request: IllRequest) -> mailer.Draft:
    """The order to the vendor, in the site's language (a vendor reads no patron's preference)."""
    library = request.library
    with translation.override(settings.LANGUAGE_CODE):
        context = {"order": order, "library": library, "vendor": order.vendor, "r": request,
                   "csv_line": order.csv_text.splitlines()[-1]}
        subject = render_to_string("borrowing/emails/purchase-order-subject.txt", context)
        text = render_to_string("borrowing/emails/purchase-order-body.txt", context)
    return mailer.Draft(library=library, request=request, kind=ORDER_EMAIL, key=f"purchase-order:{order.number}",
                        to=order.vendor.order_email, subject=subject, text=text,
                        reply_to=library.email or "", attachment_kind=ATTACHMENT, attachment_id=order.pk)


def order_attachments(order_id: int) -> list[mailer.Attachment] | None:
    """The order's MARC record and CSV, as the e-mail to the vendor attaches them."""
    order = PurchaseOrder.objects.filter(pk=order_id).only("number", "marc_record", "csv_text").first()
    if order is None:
        return None
    return [mailer.Attachment(f"{order.number}.mrc", bytes(order.marc_record), "application/marc"),
            mailer.Attachment(f"{order.number}.csv", order.csv_text.encode("utf-8"), "text/csv")]


def order_emailed(order_id: int, when: dt.datetime) -> None:
    PurchaseOrder.objects.filter(pk=order_id, emailed_at__isnull=True).update(emailed_at=when)


def register_attachment() -> None:
    mailer.register_attachment(mailer.AttachmentSource(kind=ATTACHMENT, load=order_attachments,
                                                       handed_over=order_emailed))


def receive_purchase(*, request: IllRequest, actor: Actor, invoiced_price: Any = None, invoice_number: str = "",
                     expected_status: str | None = None, source: str = EventSource.WEB) -> IllRequest:
    """The bought copy arrived, with the vendor's invoice: ``invoiced_price`` per copy where it differs from the
    order's (billing then adjusts the cost). Raises ``WorkflowError`` as ``perform`` does, ``invalid`` for a
    bad price."""
    price = _price(invoiced_price) if invoiced_price not in (None, "") else None
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(request=request)
        done = perform(request=request, action="receive_purchase", actor=actor, source=source,
                       expected_status=expected_status,
                       data={"invoiced_price": str(price if price is not None else order.unit_price),
                             "invoice_number": (invoice_number or "").strip()[:64]})
        order.received_at = timezone.now()
        order.invoiced_price = price if price is not None else order.unit_price
        order.invoice_number = (invoice_number or "").strip()[:64]
        order.save(update_fields=["received_at", "invoiced_price", "invoice_number"])
    return done


def email_vendor_cancellation(request: IllRequest, event: Event) -> None:
    """Inside the cancellation's transaction: the vendor is asked to cancel the order (once per order)."""
    order = PurchaseOrder.objects.select_related("vendor", "library").filter(request=request).first()
    if order is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {"order": order, "library": order.library, "vendor": order.vendor, "r": request,
                   "reason": event.note}
        subject = render_to_string("borrowing/emails/purchase-cancel-subject.txt", context)
        text = render_to_string("borrowing/emails/purchase-cancel-body.txt", context)
    mailer.write(mailer.Draft(library=order.library, request=request, kind="purchase-cancel",
                              key=f"purchase-cancel:{order.number}", to=order.vendor.order_email, subject=subject,
                              text=text, reply_to=order.library.email or ""))
