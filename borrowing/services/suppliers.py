"""Commercial document suppliers: quoting a copy, ordering it (by e-mail or API), its delivery or failure.

A member library's suppliers (``DocumentSupplier``) price a copy from their price list by format and
speed, with the copyright fee included or added (a default fee, or a publisher's). They sit in the rota
of copy requests beside partner libraries (``rota.lender_candidates``), or staff order from one on the
request page. Ordering is the ``order_from_supplier`` transition: its effect writes the
``SupplierOrder`` and, for an e-mail supplier, the order e-mail in the same transaction (sent by claim,
``requests_app.mailer``); an API supplier's order is placed after commit by ``place_api_order``
(claimed by compare-and-set, retried with back-off) and followed by ``poll_api_orders``. The copy
(uploaded by staff or fetched from the API) is ``supplier_delivered``: the patron downloads it from
My requests, billing charges its price and copyright fee to the budget. ``supplier_failed`` goes on
to the next in the rota.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from requests_app import mailer
from requests_app.models import CopyrightCompliance, EventSource, IllRequest, RequestFormat
from requests_app.services import perform
from requests_app.utilities import credentials
from requests_app.utilities.setting_lines import setting_lines
from requests_app.workflow import Actor, WorkflowError

from ..models import (
    CopyrightRecord,
    DocumentSupplier,
    PatronDownload,
    RotaEntry,
    RotaStatus,
    SupplierChannel,
    SupplierOrder,
    SupplierOrderStatus,
    SupplierSpeed,
)
from ..states import BorrowingStatus as S
from .downloads import limits
from .supplier_api import SupplierApiError, client_for

logger = logging.getLogger(__name__)

#: Formats a commercial supplier can copy.
SUPPLIED_FORMATS = frozenset({RequestFormat.ARTICLE, RequestFormat.CHAPTER, RequestFormat.CONFERENCE})
_FEE_LINE = re.compile(r"^\s*(.+?)\s*=\s*(\d{1,7}(?:\.\d{1,2})?)\s*$")


def parse_publisher_fees(text: str) -> dict[str, Decimal]:
    """``"Elsevier = 31.50"`` lines → ``{"elsevier": Decimal("31.50")}``; ``ValueError`` names a bad line."""
    fees: dict[str, Decimal] = {}
    for number, line in setting_lines(text):
        match = _FEE_LINE.match(line)
        if match is None:
            raise ValueError(_("Line %(number)d: write a publisher, “=” and a fee, e.g. “Elsevier = 31.50”.")
                             % {"number": number})
        name = " ".join(match.group(1).lower().split())
        if name in fees:
            raise ValueError(_("Line %(number)d: %(name)s is named twice.") % {"number": number, "name": name})
        fees[name] = Decimal(match.group(2))
    return fees


@dataclass(frozen=True)
class Quote:
    """What one copy from ``supplier`` costs and how soon it comes."""

    supplier: DocumentSupplier
    speed: str
    price: Decimal
    copyright_fee: Decimal
    copyright_fee_included: bool
    delivery_hours: int

    @property
    def total(self) -> Decimal:
        return self.price + (Decimal("0") if self.copyright_fee_included else self.copyright_fee)

    @property
    def copyright_note(self) -> str:
        if self.copyright_fee_included:
            return _("copyright fee included")
        return _("copyright fee %(fee)s") % {"fee": self.copyright_fee}


def copyright_fee_for(supplier: DocumentSupplier, request: IllRequest) -> Decimal:
    """The fee added to a copy of ``request``: the first publisher line its publisher contains, else the default."""
    publisher = " ".join((request.publisher or "").lower().split())
    if publisher:
        try:
            fees = parse_publisher_fees(supplier.publisher_fees)
        except ValueError:
            fees = {}  # the admin form refuses bad lines; a row changed some other way falls back to the default
        for name, fee in fees.items():
            if name in publisher:
                return fee
    return supplier.copyright_fee


def quote(supplier: DocumentSupplier, request: IllRequest, speed: str | None = None) -> Quote | None:
    """``supplier``'s price for ``request`` at ``speed`` (the cheapest line of its format without one), or ``None``
    when its price list has no line for the format. Reads ``supplier.prices`` (prefetch it for many)."""
    lines = [p for p in supplier.prices.all() if p.format == request.format and (speed is None or p.speed == speed)]
    if not lines:
        return None
    line = min(lines, key=lambda p: (p.price, p.delivery_hours))
    included = supplier.copyright_fee_included
    fee = Decimal("0") if included else copyright_fee_for(supplier, request)
    return Quote(supplier=supplier, speed=line.speed, price=line.price, copyright_fee=fee,
                 copyright_fee_included=included, delivery_hours=line.delivery_hours)


def rota_suppliers(request: IllRequest) -> list[DocumentSupplier]:
    """The library's active suppliers that sit in the rota and price ``request``'s format (two queries)."""
    if request.format not in SUPPLIED_FORMATS:
        return []
    return list(DocumentSupplier.objects.filter(library_id=request.library_id, active=True, in_rota=True,
                                                prices__format=request.format)
                .distinct().prefetch_related("prices").order_by("code"))


def orderable_suppliers(request: IllRequest) -> list[DocumentSupplier]:
    """The library's active suppliers that price ``request``'s format, for staff to order from (two queries)."""
    if request.format not in SUPPLIED_FORMATS:
        return []
    return list(DocumentSupplier.objects.filter(library_id=request.library_id, active=True,
                                                prices__format=request.format)
                .distinct().prefetch_related("prices").order_by("name"))


def supplier_history(supplier_ids: list[int], request_format: str) -> dict[int, dict]:
    """Per supplier: orders delivered and failed for this format, and the median hours to deliver (one query)."""
    rows = (SupplierOrder.objects.filter(supplier_id__in=supplier_ids, request__format=request_format)
            .exclude(status=SupplierOrderStatus.ORDERED)
            .values_list("supplier_id", "status", "ordered_at", "answered_at"))
    history: dict[int, dict] = {}
    for supplier_id, status, ordered_at, answered_at in rows:
        entry = history.setdefault(supplier_id, {"delivered": 0, "failed": 0, "hours": []})
        if status == SupplierOrderStatus.DELIVERED:
            entry["delivered"] += 1
            if answered_at and ordered_at:
                entry["hours"].append((answered_at - ordered_at).total_seconds() / 3600)
        else:
            entry["failed"] += 1
    for entry in history.values():
        hours = sorted(entry.pop("hours"))
        entry["median_hours"] = hours[len(hours) // 2] if hours else None
    return history


# Ordering -----------------------------------------------------------------------------------------------------------

def _supplier_of(request: IllRequest, supplier_id) -> DocumentSupplier | None:
    try:
        pk = int(supplier_id)
    except (TypeError, ValueError):
        return None
    return (DocumentSupplier.objects.filter(pk=pk, library_id=request.library_id)
            .prefetch_related("prices").first())


def supplier_for_entry(entry: RotaEntry) -> DocumentSupplier:
    """The supplier of a rota entry with its prices, as ``order_problem`` reads them."""
    return DocumentSupplier.objects.prefetch_related("prices").get(pk=entry.supplier_id)


def order_problem(request: IllRequest, supplier: DocumentSupplier | None, speed: str | None) -> str | None:
    """Why ``request`` cannot be ordered from ``supplier`` at ``speed`` (``None``: it can)."""
    if supplier is None:
        return _("Choose one of the library's document suppliers.")
    if not supplier.active:
        return _("%(supplier)s is not active.") % {"supplier": supplier.name}
    if request.format not in SUPPLIED_FORMATS:
        return _("Document suppliers supply copies of articles and chapters only.")
    if speed and speed not in SupplierSpeed.values:
        return _("Choose a delivery speed.")
    if quote(supplier, request, speed or None) is None:
        return _("%(supplier)s has no price for this kind of copy at that speed.") % {"supplier": supplier.name}
    if not (supplier.order_email or supplier.api_base_url):
        return _("%(supplier)s has neither an order e-mail nor an API address.") % {"supplier": supplier.name}
    if request.max_cost is not None:
        total = quote(supplier, request, speed or None).total
        if total > request.max_cost:
            return _("%(supplier)s charges %(total)s, more than the patron's maximum of %(max)s.") % {
                "supplier": supplier.name, "total": total, "max": request.max_cost}
    return None


def can_order(request: IllRequest, actor: Actor, data: dict) -> str | None:
    """A document supplier of the library supplies this kind of copy, within the patron's maximum cost.

    The guard of ``order_from_supplier``; asked without a supplier (as a page does to offer the action), whether
    the library has one for this kind of copy."""
    if "supplier" not in data:
        if request.format in SUPPLIED_FORMATS and DocumentSupplier.objects.filter(
                library_id=request.library_id, active=True, prices__format=request.format).exists():
            return None
        return _("No document supplier of the library supplies this kind of copy.")
    return order_problem(request, _supplier_of(request, data.get("supplier")), str(data.get("speed") or "") or None)


def place_order(request: IllRequest, actor: Actor, data: dict) -> list[str]:
    """The supplier order is written with its rota entry and, for an e-mail supplier, the order e-mail.

    The effect of ``order_from_supplier`` (inside its transaction): the rota entry is the waiting one of this
    supplier, else a new one at the end, marked sent. The request has no partner library while a supplier
    holds it."""
    supplier = _supplier_of(request, data.get("supplier"))
    offer = quote(supplier, request, str(data.get("speed") or "") or None)
    now = timezone.now()
    order = SupplierOrder.objects.create(
        request=request, supplier=supplier, channel=supplier.channel, speed=offer.speed, price=offer.price,
        copyright_fee=offer.copyright_fee, copyright_fee_included=offer.copyright_fee_included,
        currency=supplier.currency, delivery_hours=offer.delivery_hours, ordered_at=now,
        api_next_at=now if supplier.channel == SupplierChannel.API else None)
    entry = (RotaEntry.objects.filter(request=request, supplier=supplier, status=RotaStatus.PENDING)
             .order_by("position").first())
    if entry is None:
        position = (RotaEntry.objects.filter(request=request).aggregate(m=Max("position"))["m"] or 0) + 1
        entry = RotaEntry.objects.create(request=request, supplier=supplier, position=position, fee=offer.total)
    RotaEntry.objects.filter(pk=entry.pk).update(status=RotaStatus.SENT, sent_at=now)
    if supplier.channel == SupplierChannel.EMAIL:
        _write_order_email(request, order)
    request.partner = None
    return ["partner"]


def order_data(request: IllRequest, supplier_id, speed: str = "") -> dict:
    """The data of an ``order_from_supplier`` event: the supplier and, for the history, its quote then."""
    data = {"supplier": supplier_id, "speed": speed or ""}
    supplier = _supplier_of(request, supplier_id)
    offer = quote(supplier, request, speed or None) if supplier is not None else None
    if offer is not None:
        data.update({"supplier_code": supplier.code, "price": str(offer.price),
                     "copyright_fee": str(offer.copyright_fee), "copyright_fee_included": offer.copyright_fee_included,
                     "currency": supplier.currency})
    return data


def _write_order_email(request: IllRequest, order: SupplierOrder) -> None:
    """The order as an acquisitions or document-delivery desk reads it: our account, our reference, the
    citation and the speed (in the site's language: suppliers are not our patrons)."""
    supplier, library = order.supplier, request.library
    context = {"order": order, "supplier": supplier, "ill_request": request, "library": library,
               "reference": f"{request.number}-S{order.pk}"}
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("borrowing/emails/supplier-order-subject.txt", context)
        text = render_to_string("borrowing/emails/supplier-order-body.txt", context)
    mailer.write(mailer.Draft(library=library, kind="supplier-order", key=f"supplier-order:{order.pk}",
                              to=supplier.order_email, subject=subject, text=text,
                              reply_to=library.email or "", request=request))


def queue_api_order(request: IllRequest, event) -> None:
    """An API supplier's order is placed with its API after commit."""
    from ..tasks import place_supplier_api_order  # the tasks module imports the services

    order = SupplierOrder.objects.filter(request=request, status=SupplierOrderStatus.ORDERED,
                                         channel=SupplierChannel.API).values_list("pk", flat=True).first()
    if order is not None:
        place_supplier_api_order.delay(order)


def order_from_supplier(*, request: IllRequest, actor: Actor, supplier: DocumentSupplier | int | str,
                        speed: str = "", expected_status: str | None = None,
                        source: str = EventSource.WEB) -> IllRequest:
    """Staff order ``request``'s copy from ``supplier`` (one of its library's) at ``speed`` (the cheapest line
    without one). Raises ``WorkflowError('not_allowed')`` with the reason when it cannot be ordered there, or
    as ``perform`` does."""
    supplier_id = supplier.pk if isinstance(supplier, DocumentSupplier) else supplier
    found = _supplier_of(request, supplier_id)
    name = found.name if found is not None else ""
    with transaction.atomic():
        return perform(request=request, action="order_from_supplier", actor=actor, source=source,
                       note=f"Ordered from {name}" if name else "", expected_status=expected_status,
                       data=order_data(request, supplier_id, speed))


# Delivery ------------------------------------------------------------------------------------------------------------

def read_pdf(data: bytes) -> bytes:
    """``data`` if it is a readable PDF within ``ILLMS_EDELIVERY_MAX_BYTES``; else ``WorkflowError('invalid')``."""
    if not data:
        raise WorkflowError("invalid", _("Choose the supplier's PDF to upload."))
    if len(data) > settings.ILLMS_EDELIVERY_MAX_BYTES:
        raise WorkflowError("invalid", _("The file is larger than %(mb)d MB.")
                            % {"mb": settings.ILLMS_EDELIVERY_MAX_BYTES // (1024 * 1024)})
    if not data.startswith(b"%PDF-"):
        raise WorkflowError("invalid", _("The file is not a PDF (whatever its name says)."))
    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise WorkflowError("invalid", _("The PDF is damaged and cannot be opened.")) from exc
    if not pages:
        raise WorkflowError("invalid", _("The PDF has no pages."))
    return data


def open_order(request: IllRequest) -> SupplierOrder | None:
    return (SupplierOrder.objects.filter(request=request, status=SupplierOrderStatus.ORDERED)
            .select_related("supplier").first())


def keep_delivered_copy(request: IllRequest, actor: Actor, data: dict) -> list[str]:
    """The supplier's copy is stored and offered to the patron; its rota entry is supplied and its copyright
    record notes the fee.

    The effect of ``supplier_delivered``; the patron's link has our limits of days and downloads."""
    order = SupplierOrder.objects.select_for_update().select_related("supplier").get(
        pk=data["supplier_order"], request=request, status=SupplierOrderStatus.ORDERED)
    now = timezone.now()
    order.document.name = str(data["document_name"])
    order.status, order.answered_at = SupplierOrderStatus.DELIVERED, now
    order.save(update_fields=["document", "status", "answered_at"])
    days, downloads = limits(request.library)
    PatronDownload.objects.create(request=request, document=order.document.name, received_at=now,
                                  expires_at=now + dt.timedelta(days=days), max_downloads=downloads)
    RotaEntry.objects.filter(request=request, supplier_id=order.supplier_id, status=RotaStatus.SENT).update(
        status=RotaStatus.SUPPLIED, answered_at=now)
    return _record_copyright(request, order)


def _record_copyright(request: IllRequest, order: SupplierOrder) -> list[str]:
    """The copy's copyright record (kept as for any copy) notes the royalty the supplier collected: a copy that
    waited for clearance is cleared by it (CCL). Returns the request's fields it changed."""
    record = CopyrightRecord.objects.filter(request=request).first()
    if record is None:
        return []
    note = (f"Copyright fee included in {order.supplier.name}'s price" if order.copyright_fee_included
            else f"Copyright fee {order.copyright_fee} {order.currency} paid through {order.supplier.name}")
    if not record.compliance:
        record.compliance = CopyrightCompliance.CCL
        record.cleared_at = timezone.now()
    if not order.copyright_fee_included and order.copyright_fee:
        record.clearance_fee, record.clearance_currency = order.copyright_fee, order.currency
    record.exception_note = (f"{record.exception_note}; {note}" if record.exception_note else note)[:2000]
    record.save()
    if request.copyright_compliance != record.compliance:
        request.copyright_compliance = record.compliance
        return ["copyright_compliance"]
    return []


def deliver_from_supplier(*, request: IllRequest, actor: Actor, document, expected_status: str | None = None,
                          source: str = EventSource.WEB) -> IllRequest:
    """The supplier's copy has come (staff upload it, or the API job fetched it): it is checked to be a PDF,
    stored, and the request is delivered to the patron. Raises ``WorkflowError('invalid')`` for a file that is
    not a readable PDF or with no open order, or as ``perform`` does."""
    content = read_pdf(document.read() if hasattr(document, "read") else bytes(document or b""))
    order = open_order(request)
    if order is None:
        raise WorkflowError("invalid", _("This request has no open supplier order."))
    # The file is stored first (storage is not transactional) and removed again if the delivery does not happen.
    name = default_storage.save(f"borrowing/supplier-copies/{timezone.now():%Y/%m}/{request.number}-"
                                f"{secrets.token_hex(8)}.pdf", ContentFile(content))
    try:
        with transaction.atomic():
            return perform(request=request, action="supplier_delivered", actor=actor, source=source,
                           note=f"Delivered by {order.supplier.name}", expected_status=expected_status,
                           data={"supplier_order": order.pk, "document_name": name, "supplier_code":
                                 order.supplier.code, "price": str(order.price),
                                 "copyright_fee": str(order.copyright_fee),
                                 "copyright_fee_included": order.copyright_fee_included, "currency": order.currency})
    except Exception:
        default_storage.delete(name)
        raise


def close_failed_order(request: IllRequest, actor: Actor, data: dict) -> list[str]:
    """The supplier order and its rota entry are closed as unfilled, with the reason."""
    reason = str(data.get("reason") or "")[:200]
    now = timezone.now()
    for order in SupplierOrder.objects.select_for_update().filter(request=request, status=SupplierOrderStatus.ORDERED):
        SupplierOrder.objects.filter(pk=order.pk).update(status=SupplierOrderStatus.FAILED, answered_at=now,
                                                         failure_reason=reason)
        RotaEntry.objects.filter(request=request, supplier_id=order.supplier_id, status=RotaStatus.SENT).update(
            status=RotaStatus.UNFILLED, answered_at=now, reason=reason or "Supplier failed")
    return []


def supplier_failed(*, request: IllRequest, actor: Actor, reason: str, expected_status: str | None = None,
                    source: str = EventSource.WEB) -> IllRequest:
    """The supplier cannot supply (it said so, or its API refused the order): the request goes back to sourcing
    and on to the next in its rota. Raises ``WorkflowError('invalid')`` without a reason, or as ``perform``."""
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("invalid", _("Say why the supplier could not supply."))
    with transaction.atomic():
        return perform(request=request, action="supplier_failed", actor=actor, source=source, note=reason,
                       expected_status=expected_status, data={"reason": reason})


# The API job ---------------------------------------------------------------------------------------------------------

def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(settings.ILLMS_SUPPLIER_API_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0),
                                    6 * 3600))


def _order_message(order: SupplierOrder) -> dict:
    request = order.request
    return {
        "account": order.supplier.account_number, "reference": f"{request.number}-S{order.pk}",
        "speed": order.speed, "format": request.format,
        "citation": {name: str(getattr(request, name) or "") for name in (
            "title", "author", "container_title", "volume", "issue", "pages", "publication_year", "publisher",
            "issn", "isbn", "doi", "pmid")},
    }


def _claim(order_id: int, now: dt.datetime) -> SupplierOrder | None:
    """Claim an API order due for a call (compare-and-set on ``api_claimed_at``): two workers never call twice."""
    stale = now - dt.timedelta(seconds=settings.ILLMS_SUPPLIER_API_LEASE_SECONDS)
    claimed = SupplierOrder.objects.filter(
        Q(api_claimed_at__isnull=True) | Q(api_claimed_at__lt=stale), pk=order_id,
        status=SupplierOrderStatus.ORDERED, channel=SupplierChannel.API, api_next_at__lte=now,
    ).update(api_claimed_at=now)
    if not claimed:
        return None
    return SupplierOrder.objects.select_related("supplier", "request", "request__library").get(pk=order_id)


def _client(order: SupplierOrder):
    return client_for(base_url=order.supplier.api_base_url, api_key=credentials.decrypt(order.supplier.api_key))


def _release(order: SupplierOrder, *, error: str = "", next_at: dt.datetime | None = None, **fields) -> None:
    SupplierOrder.objects.filter(pk=order.pk).update(api_claimed_at=None, last_error=error[:2000],
                                                     api_next_at=next_at, **fields)


def _fail(order: SupplierOrder, reason: str) -> None:
    _release(order, error=reason)
    try:
        supplier_failed(request=order.request, actor=Actor.system("supplier API"), reason=reason,
                        source=EventSource.JOB, expected_status=S.SUPPLIER_ORDERED)
    except WorkflowError as exc:
        logger.warning("Supplier order %s failed (%s) but its request did not move: %s", order.pk, reason, exc)


def place_api_order(order_id: int, *, now: dt.datetime | None = None) -> bool:
    """Place one API order with its supplier (idempotent: an order placed or claimed elsewhere is left alone).

    A refusal for good ends the order as failed (the next in the rota is tried); a failure to reach the API
    is retried after a back-off, ``ILLMS_SUPPLIER_API_MAX_ATTEMPTS`` times, then fails the order.
    """
    now = now or timezone.now()
    order = _claim(order_id, now)
    if order is None:
        return False
    if order.api_placed_at is not None:
        _release(order, next_at=now + dt.timedelta(minutes=settings.ILLMS_SUPPLIER_POLL_MINUTES))
        return False
    try:
        reference = _client(order).place(_order_message(order))
    except (SupplierApiError, credentials.CredentialError) as exc:
        message = getattr(exc, "message", str(exc))
        attempts = order.api_attempts + 1
        if getattr(exc, "permanent", False) or attempts >= settings.ILLMS_SUPPLIER_API_MAX_ATTEMPTS:
            SupplierOrder.objects.filter(pk=order.pk).update(api_attempts=attempts)
            _fail(order, _("%(supplier)s refused the order: %(reason)s")
                  % {"supplier": order.supplier.name, "reason": message})
        else:
            _release(order, error=message, next_at=now + _backoff(attempts), api_attempts=attempts)
        return False
    _release(order, next_at=now + dt.timedelta(minutes=settings.ILLMS_SUPPLIER_POLL_MINUTES),
             supplier_reference=reference, api_placed_at=now, api_attempts=0)
    return True


def poll_api_order(order_id: int, *, now: dt.datetime | None = None) -> str:
    """Ask the supplier how one placed order stands; a delivered copy is fetched and delivered to the patron,
    a failed one goes on in the rota. Returns what happened (``delivered``, ``failed``, ``waiting``, ``skipped``)."""
    now = now or timezone.now()
    order = _claim(order_id, now)
    if order is None:
        return "skipped"
    if order.api_placed_at is None:
        _release(order, next_at=now)
        return "skipped"
    poll_again = now + dt.timedelta(minutes=settings.ILLMS_SUPPLIER_POLL_MINUTES)
    try:
        client = _client(order)
        answer = client.status(order.supplier_reference)
        if answer.state == "failed":
            _fail(order, answer.reason or _("%(supplier)s could not supply it.") % {"supplier": order.supplier.name})
            return "failed"
        if answer.state != "delivered" or not answer.document_url:
            _release(order, next_at=poll_again)
            return "waiting"
        document = client.document(answer.document_url, max_bytes=settings.ILLMS_EDELIVERY_MAX_BYTES)
        deliver_from_supplier(request=order.request, actor=Actor.system("supplier API"), document=document,
                              source=EventSource.JOB, expected_status=S.SUPPLIER_ORDERED)
    except SupplierApiError as exc:
        if exc.permanent:
            _fail(order, _("%(supplier)s: %(reason)s") % {"supplier": order.supplier.name, "reason": exc.message})
            return "failed"
        _release(order, error=exc.message, next_at=poll_again)
        return "waiting"
    except WorkflowError as exc:
        _release(order, error=exc.message, next_at=poll_again)
        return "waiting"
    _release(order)
    return "delivered"


def due_api_orders(*, now: dt.datetime | None = None) -> list[tuple[int, bool]]:
    """``(order id, placed)`` of the open API orders due for a call, oldest first (one query)."""
    now = now or timezone.now()
    rows = (SupplierOrder.objects.filter(status=SupplierOrderStatus.ORDERED, channel=SupplierChannel.API,
                                         api_next_at__lte=now)
            .order_by("api_next_at", "pk").values_list("pk", "api_placed_at")[:500])
    return [(pk, placed_at is not None) for pk, placed_at in rows]


def save_api_key(*, supplier: DocumentSupplier, key: str) -> None:
    """Store ``key`` encrypted on ``supplier`` (an empty ``key`` clears it)."""
    DocumentSupplier.objects.filter(pk=supplier.pk).update(api_key=credentials.encrypt(key) if key else "")
