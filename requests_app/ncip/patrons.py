"""The live patron check over NCIP: LookupUser when a patron requests (``identity.verification``'s hook).

The ILS is asked with the connection's short time limit while the patron waits. A user the ILS does not
know, blocks or has expired is refused with the ILS's own reason. **When the ILS does not answer** (down,
slow, an unreadable answer, the schema missing) **the request is accepted**: the ILS being away must not
stop patrons requesting, and staff review every request anyway. The request then carries a failed
LookupUser call saying the patron was not verified, listed in the desk's “NCIP calls to look at” and
retried from the request's page, which asks the ILS again.
"""

from __future__ import annotations

import contextvars
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..identity.provisioning import contact_for
from ..models import IllRequest, NcipCall, NcipCallStatus, NcipConnection, PatronProfile
from ..utilities.credentials import CredentialError
from .connections import client_for
from .errors import InvalidMessage, NcipProblem, NcipUnavailable, UnknownUser, UnsupportedService
from .profiles import Service, UserIdSource

logger = logging.getLogger(__name__)

#: How long the ILS's answer about a patron is kept; an unanswered check is asked again sooner.
ANSWER_SECONDS = 30
UNANSWERED_SECONDS = 10

#: Patron profile pk → why the ILS could not be asked, for the request that submission goes on to create.
_unanswered: contextvars.ContextVar[dict[int, str]] = contextvars.ContextVar("ncip_unanswered_checks")


def user_id_of(connection: NcipConnection, profile: PatronProfile) -> str:
    if connection.profile.user_id_source == UserIdSource.INSTITUTION_ID and profile.institution_id:
        return profile.institution_id
    return profile.card_barcode


def _remember(profile: PatronProfile, reason: str | None) -> None:
    found = dict(_unanswered.get({}))
    if reason is None:
        found.pop(profile.pk, None)
    else:
        found[profile.pk] = reason
    _unanswered.set(found)


def _ask(connection: NcipConnection, user_id: str) -> tuple[str, str]:
    """What the ILS says of ``user_id``: ``(kind, reason)``, kind one of ok, unknown, blocked, expired, unanswered."""
    ils = connection.profile.label
    try:
        answer = client_for(connection, timeout=connection.lookup_timeout_seconds).lookup_user(user_id)
    except UnknownUser as exc:
        return "unknown", exc.reason
    except UnsupportedService:
        return "ok", ""
    except NcipProblem as exc:
        return "blocked", exc.reason
    except (NcipUnavailable, InvalidMessage, CredentialError) as exc:
        logger.warning("NCIP LookupUser of %s unanswered: %s", user_id, exc)
        return "unanswered", (f"{ils} did not answer the patron check (LookupUser) at submission: {exc}. "
                              "The request was accepted without the ILS's word; retry to ask again.")
    user = answer.user
    blocked = user.block_reason() if user else ""
    if blocked:
        return "blocked", blocked
    expired = user.expired_on(timezone.localdate()) if user else None
    if expired:
        return "expired", expired.isoformat()
    return "ok", ""


def ils_patron_check(profile: PatronProfile, *, staff: bool = False) -> ValidationError | None:
    """The ILS's refusal of ``profile``, or ``None`` (it may borrow, or the ILS could not be asked).

    The answer is kept for ``ANSWER_SECONDS`` (the request form asks when it opens and again at submission),
    an unanswered check for ``UNANSWERED_SECONDS`` (a slow ILS does not slow every page by its time limit).
    """
    connection = NcipConnection.objects.filter(library_id=profile.library_id).first()
    if connection is None or not connection.ready or not connection.check_patrons:
        return None
    if not connection.profile.offers(Service.LOOKUP_USER):
        return None
    user_id = user_id_of(connection, profile)
    key = f"ncip-patron:{profile.library_id}:{user_id}"
    found = cache.get(key)
    if found is None:
        found = _ask(connection, user_id)
        cache.set(key, found, UNANSWERED_SECONDS if found[0] == "unanswered" else ANSWER_SECONDS)
    kind, reason = found
    _remember(profile, reason if kind == "unanswered" else None)
    if kind in ("ok", "unanswered"):
        return None
    return _refusal(profile, staff, connection.profile.label, kind, reason)


def _refusal(profile: PatronProfile, staff: bool, ils: str, kind: str, reason: str) -> ValidationError:
    params = {"ils": ils, "reason": reason, "contact": contact_for(profile.library), "card": profile.card_barcode}
    if kind == "unknown":
        text = (_("The library's system (%(ils)s) does not know this patron (%(card)s): %(reason)s. Check the card "
                  "number in the library's records.") if staff else
                _("The library's system does not know your library account (%(card)s), so you cannot request for "
                  "now. Please contact %(contact)s."))
        return ValidationError(text, code="ils_unknown_patron", params=params)
    if kind == "expired":
        text = (_("The library's system (%(ils)s) says the patron's account expired on %(reason)s.") if staff else
                _("The library's system says your account expired on %(reason)s, so you cannot request for now. "
                  "Please contact %(contact)s to renew it."))
        return ValidationError(text, code="ils_patron_expired", params=params)
    text = (_("The library's system (%(ils)s) blocks this patron: %(reason)s.") if staff else
            _("The library's system blocks your account: %(reason)s. Please contact %(contact)s."))
    return ValidationError(text, code="ils_patron_blocked", params=params)


def record_unanswered_check(request: IllRequest) -> NcipCall | None:
    """After a submission the ILS did not answer: a failed LookupUser on the request for staff to retry."""
    profile = getattr(request.patron, "patron_profile", None) if request.patron_id else None
    if profile is None:
        return None
    reason = _unanswered.get({}).get(profile.pk)
    if reason is None:
        return None
    _remember(profile, None)
    connection = NcipConnection.objects.filter(library_id=profile.library_id).first()
    user_id = user_id_of(connection, profile) if connection is not None else profile.card_barcode
    return NcipCall.objects.create(request=request, library=request.library, service=Service.LOOKUP_USER,
                                   arguments={"user_id": user_id}, status=NcipCallStatus.FAILED,
                                   answer=reason[:300], last_error=reason[:2000])
