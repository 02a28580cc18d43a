"""Copyright compliance of copy requests: the CONTU rule of five, CCG and CCL.

In one calendar year a library may receive five copies of articles from one periodical
published within the five years before the request (CCG); the sixth waits for clearance
(a royalty, or an exception staff note), after which it complies with the law otherwise
(CCL). Articles older than five years do not count (CCL). The rule's numbers are
each library's policy (``/policies/``; the settings by default), as other countries have other rules.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from requests_app.models import CopyrightCompliance, EventSource, IllRequest, Library, RequestFormat
from requests_app.policies import policy_for
from requests_app.services import claim, perform
from requests_app.workflow import Actor, WorkflowError

from ..models import CopyrightRecord
from ..states import BorrowingStatus as S


def copies_per_year(library: Library | None = None) -> int:
    """Copies from one periodical a year before clearance: ``library``'s policy (the settings without one)."""
    return policy_for(library).copyright_copies_per_year


def recent_years(library: Library | None = None) -> int:
    """Articles published within this many years count: ``library``'s policy (the settings without one)."""
    return policy_for(library).copyright_recent_years


def journal_key(request: IllRequest) -> str:
    """The periodical a copy comes from: its ISSN, else its title normalised (case, accents, punctuation)."""
    if request.issn:
        return request.issn.upper()
    title = unicodedata.normalize("NFKD", request.container_title or "")
    title = "".join(ch for ch in title if not unicodedata.combining(ch)).lower().replace("&", " and ")
    words = re.sub(r"[^\w\s]", " ", title).split()
    if words[:1] == ["the"]:
        words = words[1:]
    return " ".join(words)


def is_subject(request: IllRequest) -> bool:
    """The rule of five is about articles from periodicals."""
    return request.format == RequestFormat.ARTICLE and bool(journal_key(request))


def request_year(request: IllRequest) -> int:
    return timezone.localtime(request.created_at).year


def counts_towards_rule(request: IllRequest) -> bool:
    year, published = request_year(request), request.publication_year
    # Unknown publication year: count it, the cautious reading.
    return published is None or published >= year - recent_years(request.library)


def assess(request: IllRequest) -> CopyrightRecord | None:
    """Record ``request``'s copyright status; return the record (``None`` if the rule does not apply).

    Runs inside the verifying transition's transaction: the member library's row is locked
    so two copies from one journal verified at once are counted one after the other. The
    record's ``compliance`` is empty when the request must wait for clearance. A request
    assessed before keeps its record.
    """
    if not is_subject(request):
        return None
    existing = CopyrightRecord.objects.filter(request=request).first()
    if existing is not None:
        return existing
    Library.objects.select_for_update().filter(pk=request.library_id).first()
    year, key = request_year(request), journal_key(request)
    counted = counts_towards_rule(request)
    compliance = CopyrightCompliance.CCL
    if counted:
        earlier = CopyrightRecord.objects.filter(library_id=request.library_id, journal_key=key, request_year=year,
                                                 counted=True).count()
        compliance = CopyrightCompliance.CCG if earlier < copies_per_year(request.library) else ""
    return CopyrightRecord.objects.create(
        request=request, library_id=request.library_id, journal_key=key, journal_title=request.container_title,
        request_year=year, publication_year=request.publication_year, counted=counted, compliance=compliance,
    )


def needs_clearance(request: IllRequest) -> bool:
    return CopyrightRecord.objects.filter(request=request, compliance="").exists()


def route_for_clearance(request: IllRequest) -> IllRequest | None:
    """After a verify: send the request to copyright review if its record says it must wait."""
    if not needs_clearance(request):
        return None
    return claim(request_id=request.pk, from_status=S.SOURCING, action="send_to_copyright",
                 actor=Actor.system("copyright"), source=EventSource.SYSTEM,
                 note=f"Over the rule of five for {journal_key(request)} this year: needs clearance.")


def record_for_review(request: IllRequest) -> CopyrightRecord:
    """A copy sent to copyright review by hand: make sure it has a record awaiting clearance."""
    record = assess(request) if is_subject(request) else None
    if record is None:
        record, _ = CopyrightRecord.objects.get_or_create(
            request=request, defaults={
                "library_id": request.library_id, "journal_key": journal_key(request) or request.title[:300].lower(),
                "journal_title": request.container_title, "request_year": request_year(request),
                "publication_year": request.publication_year, "counted": False,
            })
    if record.compliance:
        record.compliance = ""
        record.save(update_fields=["compliance"])
    return record


def apply_clearance(request: IllRequest, *, fee: Decimal | None, currency: str, exception_note: str) -> CopyrightRecord:
    """Inside ``clear_copyright``: the record becomes CCL with the fee or the exception."""
    record = CopyrightRecord.objects.filter(request=request).first() or record_for_review(request)
    record.compliance = CopyrightCompliance.CCL
    record.clearance_fee = fee
    record.clearance_currency = (currency or request.library.currency or "USD").upper()[:3] if fee is not None else ""
    record.exception_note = exception_note
    record.cleared_at = timezone.now()
    record.save()
    return record


def clear_copyright(*, request: IllRequest, actor: Actor, fee: Decimal | None = None, currency: str = "",
                    exception_note: str = "", source: str = EventSource.WEB) -> IllRequest:
    """Staff record a clearance fee (which billing picks up from the event) or an exception.

    Raises ``WorkflowError('invalid')`` when neither is given, or as ``perform`` does.
    """
    exception_note = (exception_note or "").strip()
    if fee is None and not exception_note:
        raise WorkflowError("invalid", gettext("Record the clearance fee paid or the exception that applies."))
    if fee is not None and fee < 0:
        raise WorkflowError("invalid", gettext("A clearance fee cannot be negative."))
    data = {"clearance_fee": fee, "currency": (currency or request.library.currency).upper()[:3],
            "exception_note": exception_note}
    note = f"Clearance fee {fee} {data['currency']}" if fee is not None else f"Exception: {exception_note}"
    with transaction.atomic():
        return perform(request=request, action="clear_copyright", actor=actor, source=source, note=note, data=data)
