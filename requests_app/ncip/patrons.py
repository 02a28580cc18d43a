"""The live patron check over NCIP: LookupUser when a patron signs in and when they request.

Both are hooks of ``identity.verification``: :func:`ils_sign_in_check` is asked by every sign-in door
(through ``two_factor.signin.finish_sign_in``), :func:`ils_patron_check` when the request form opens and at
submission. The ILS is asked with the connection's short time limit while the patron waits. What it says is
written on the patron's profile: its block (``blocked_by_ils``, lifted when the ILS no longer blocks), the
category it gives (when it is one of ours) and the account's end (the privileges' last ``ValidToDate``).

A patron the ILS blocks or who has expired is refused with the ILS's own reason: at sign-in they are not
signed in, at a request nothing is saved. A user the ILS does not know is refused at a request but let in at
sign-in (a first sign-in may carry no card number the ILS knows yet; the request form says what to do).

**When the ILS does not answer** (down, slow, an unreadable answer, the schema missing) **the patron goes
on**: the ILS being away must not stop patrons signing in or requesting, and staff review every request
anyway. A sign-in is logged as unverified (a warning naming the patron and why); a request carries a failed
LookupUser call saying the patron was not verified, listed in the desk's “NCIP calls to the ILS that failed”
and retried from the request's page, which asks the ILS again. A block the ILS gave earlier stays on the
profile meanwhile, so a patron it blocked is not let through by its silence.
"""

from __future__ import annotations

import contextvars
import logging

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from ..identity.mapping import category_for
from ..identity.provisioning import contact_for
from ..models import IllRequest, NcipCall, NcipCallStatus, NcipConnection, PatronProfile
from ..utilities.credentials import CredentialError
from .codec import UserRecord
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


#: When the patron check is asked, for the words of an unanswered check.
AT_SUBMISSION, AT_SIGN_IN = "submission", "sign-in"


def _unanswered_words(connection: NcipConnection, moment: str, error: str) -> str:
    """What an unanswered check at ``moment`` says (``error``: why the ILS did not answer). Worded where it is
    used, not where it is asked: a check kept from a sign-in is read again by the submission that follows."""
    ils = connection.profile.label
    if moment == AT_SIGN_IN:
        return f"{ils} did not answer the patron check (LookupUser) at sign-in: {error}"
    return (f"{ils} did not answer the patron check (LookupUser) at submission: {error}. "
            "The request was accepted without the ILS's word; retry to ask again.")


def _ask(connection: NcipConnection, user_id: str, *, moment: str = AT_SUBMISSION
         ) -> tuple[str, str, UserRecord | None]:
    """What the ILS says of ``user_id``: ``(kind, reason, record)``, kind one of ok, unknown, blocked, expired,
    unanswered (``reason``: why it did not answer); ``record`` is what LookupUser told of the user, when it
    answered with one."""
    try:
        answer = client_for(connection, timeout=connection.lookup_timeout_seconds).lookup_user(user_id)
    except UnknownUser as exc:
        return "unknown", exc.reason, None
    except UnsupportedService:
        return "ok", "", None
    except NcipProblem as exc:
        return "blocked", exc.reason, None
    except (NcipUnavailable, InvalidMessage, CredentialError) as exc:
        logger.warning("NCIP LookupUser of %s at %s unanswered: %s", user_id, moment, exc)
        return "unanswered", str(exc), None
    user = answer.user
    blocked = user.block_reason() if user else ""
    if blocked:
        return "blocked", blocked, user
    expired = user.expired_on(timezone.localdate()) if user else None
    if expired:
        return "expired", expired.isoformat(), user
    return "ok", "", user


def _usable(profile: PatronProfile) -> NcipConnection | None:
    connection = NcipConnection.objects.filter(library_id=profile.library_id).first()
    if connection is None or not connection.ready or not connection.check_patrons:
        return None
    return connection if connection.profile.offers(Service.LOOKUP_USER) else None


def _cache_key(profile: PatronProfile, user_id: str) -> str:
    return f"ncip-patron:{profile.library_id}:{user_id}"


def _cache(key: str, kind: str, reason: str) -> None:
    cache.set(key, (kind, reason), UNANSWERED_SECONDS if kind == "unanswered" else ANSWER_SECONDS)


def refresh_from_ils(profile: PatronProfile, kind: str, reason: str, record: UserRecord | None) -> list[str]:
    """Write what the ILS said on ``profile`` (saved at once, only the fields that change); the fields changed.

    The ILS's block replaces the profile's and is marked as the ILS's; a block the ILS no longer gives is
    lifted, a block the desk, a door or a load set is never touched. The category is taken when it names one
    of ours (``ILLMS_IDENTITY_CATEGORIES``, as a door's affiliation); the account's end is the privileges' last
    ``ValidToDate``. An unknown user or an unanswered check changes nothing.
    """
    wanted: dict = {}
    if record is not None:
        ends = [privilege.valid_to for privilege in record.privileges if privilege.valid_to is not None]
        if ends and max(ends).date() != profile.expires_on:
            wanted["expires_on"] = max(ends).date()
        category = category_for((record.category,)) if record.category else ""
        if category and category != profile.category:
            wanted["category"] = category
    if kind == "blocked":
        block = {"blocked": True, "blocked_reason": reason[:200], "blocked_by_ils": True}
        if any(getattr(profile, name) != value for name, value in block.items()):
            wanted.update(block)
    elif kind in ("ok", "expired") and profile.blocked_by_ils:
        wanted.update(blocked=False, blocked_reason="", blocked_by_ils=False)
    if not wanted:
        return []
    wanted.update(refreshed_from="ils", refreshed_at=timezone.now())
    PatronProfile.objects.filter(pk=profile.pk).update(**wanted)
    for name, value in wanted.items():
        setattr(profile, name, value)
    return sorted(wanted)


def ils_sign_in_check(profile: PatronProfile) -> str | None:
    """LookupUser as the patron signs in: their profile refreshed, and why they may not sign in (blocked or
    expired, in the ILS's words), or ``None``. An unknown user and an unanswered check let them in."""
    connection = _usable(profile)
    if connection is None:
        return None
    user_id = user_id_of(connection, profile)
    kind, reason, record = _ask(connection, user_id, moment=AT_SIGN_IN)
    _cache(_cache_key(profile, user_id), kind, reason)  # the request form, opened next, need not ask again
    if kind == "unanswered":
        logger.warning("Patron %s signed in without the ILS's word: %s", profile.card_barcode,
                       _unanswered_words(connection, AT_SIGN_IN, reason))
        return None
    refresh_from_ils(profile, kind, reason, record)
    if kind not in ("blocked", "expired"):
        return None
    params = {"reason": reason, "contact": contact_for(profile.library)}
    if kind == "expired":
        return _("The library's system says your account expired on %(reason)s, so you cannot sign in to "
                 "interlibrary loan for now. Please contact %(contact)s to renew it.") % params
    return _("The library's system blocks your account: %(reason)s. You cannot sign in to interlibrary loan "
             "until this is cleared; please contact %(contact)s.") % params


def ils_patron_check(profile: PatronProfile, *, staff: bool = False) -> ValidationError | None:
    """The ILS's refusal of ``profile``, or ``None`` (it may borrow, or the ILS could not be asked).

    The answer is kept for ``ANSWER_SECONDS`` (the request form asks when it opens and again at submission),
    an unanswered check for ``UNANSWERED_SECONDS`` (a slow ILS does not slow every page by its time limit).
    A fresh answer refreshes the profile (:func:`refresh_from_ils`); while the ILS does not answer, a block it
    gave earlier stays on the profile and refuses the patron there (``verification.blocked_refusal``).
    """
    connection = _usable(profile)
    if connection is None:
        return None
    user_id = user_id_of(connection, profile)
    key = _cache_key(profile, user_id)
    found = cache.get(key)
    if found is None:
        kind, reason, record = _ask(connection, user_id)
        _cache(key, kind, reason)
        refresh_from_ils(profile, kind, reason, record)
        found = (kind, reason)
    kind, reason = found
    _remember(profile, _unanswered_words(connection, AT_SUBMISSION, reason) if kind == "unanswered" else None)
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
