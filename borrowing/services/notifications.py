"""E-mails to patrons about their borrowing requests: each kind declared once in ``KINDS``.

Each kind has three templates in ``templates/borrowing/emails/``:
``<name>-subject.txt``, ``<name>-body.txt`` and ``<name>-body.html``. A library's ILL
administrator may reword any kind on ``/policies/`` (``requests_app.email_templates``): the
override is used instead of the files, filled in with the plain values of ``email_context``.

An e-mail is decided and rendered in the transaction of what caused it, and written there as an
``OutgoingEmail`` row (``requests_app.mailer``): a workflow event's with the event
(``write_for_event``), a note's with the note, a reminder's with its ``ReminderLog`` row. The
patron's preferences are read then; a worker hands each row to the mail server after commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from requests_app import mailer
from requests_app.action_input import yes_no
from requests_app.email_templates import EmailKind, RenderedEmail, cached_overrides, render
from requests_app.languages import recipient_language
from requests_app.models import (
    Event,
    IllRequest,
    Library,
    LibraryPolicy,
    Note,
    NoteVisibility,
    OutgoingEmail,
    PickupLocation,
    Role,
)
from requests_app.policies import policy_for
from requests_app.utilities.batches import keyset_batches

from ..models import ReminderLog, ReminderStage
from ..states import BorrowingStatus as S

READY_FOR_PICKUP = "ready-for-pickup"
RECALLED = "recalled"
RENEWAL_ANSWERED = "renewal-answered"
CANCELLED = "cancelled"
OVERDUE = "overdue"
DUE_SOON = "due-soon"
COPY_DELIVERED = "copy-delivered"
NOTE = "note"


def reminder_days_before(library: Library | None = None) -> int:
    """Days before the due date a reminder goes: ``library``'s policy (``ILLMS_REMINDER_DAYS_BEFORE`` without one)."""
    return policy_for(library).reminder_days_before


def _due_within_reminder_days(today: dt.date) -> Q:
    """Due between ``today`` and each library's reminder horizon (one branch per distinct number of days)."""
    by_days: dict[int, list[int]] = {}
    for row in LibraryPolicy.objects.values("library_id", "reminder_days_before"):
        by_days.setdefault(row["reminder_days_before"], []).append(row["library_id"])
    own = [pk for pks in by_days.values() for pk in pks]
    condition = Q(patron_due_date__lte=today + dt.timedelta(days=reminder_days_before())) & ~Q(library_id__in=own)
    for days, pks in by_days.items():
        condition |= Q(library_id__in=pks, patron_due_date__lte=today + dt.timedelta(days=days))
    return Q(patron_due_date__gte=today) & condition


def recipient(request: IllRequest, kind: str) -> str | None:
    """The patron's address if they want this kind of e-mail, else ``None``."""
    patron = request.patron
    if patron is None or not patron.email or request.role != Role.BORROWING:
        return None
    profile = getattr(patron, "patron_profile", None)
    preference = KINDS[kind].preference
    if profile is not None and (not profile.notify_by_email or (preference and not getattr(profile, preference))):
        return None
    return patron.email


def render_for(kind: str, request: IllRequest, **extra) -> RenderedEmail:
    """E-mail ``kind`` about ``request`` in the library's wording, else the file templates."""
    context = {"r": request, "patron": request.patron, "library": request.library,
               "site_url": getattr(settings, "ILLMS_SITE_URL", ""), **extra}
    return render(kind, library=request.library, context=context,
                  values=lambda: email_context(kind, request, **extra), language=recipient_language(request.patron))


# What an administrator's own wording may use ------------------------------------------------

COMMON_VARIABLES = {
    "patron.name": _("The patron's full name (or user name when no name is known)."),
    "patron.first_name": _("The patron's first name."),
    "patron.last_name": _("The patron's last name."),
    "r.number": _("The request number patrons quote (B123)."),
    "r.title": _("The title asked for (book, article or chapter)."),
    "r.author": _("The author."),
    "r.citation": _("The whole citation on one line."),
    "r.status": _("Where the request is now, in words."),
    "r.due_date": _("The patron's due date (a date: format it, e.g. {{ r.due_date|date:'j F Y' }})."),
    "r.pickup_location": _("Where the patron collects the item (empty when not chosen)."),
    "r.url": _("The link to the request in My requests (empty when the site address is not configured)."),
    "library.name": _("Our library's name."),
    "library.email": _("Our ILL office's e-mail address."),
    "library.phone": _("Our ILL office's telephone number."),
}


def email_context(kind: str, request: IllRequest, **extra) -> dict:
    """The plain values an administrator's template for ``kind`` may use (see ``COMMON_VARIABLES``)."""
    patron, library = request.patron, request.library
    site_url = getattr(settings, "ILLMS_SITE_URL", "")
    request_url = (f"{site_url.rstrip('/')}{reverse('patron-request', args=[request.pk])}"
                   if site_url and request.pk else "")
    context = {
        "patron": {"name": (patron.get_full_name() or patron.get_username()) if patron else "",
                   "first_name": patron.first_name if patron else "", "last_name": patron.last_name if patron else ""},
        "r": {"number": request.number, "title": request.title, "author": request.author,
              "citation": request.citation_line, "status": request.status_label, "due_date": request.patron_due_date,
              "pickup_location": request.pickup_location.name if request.pickup_location else "",
              "url": request_url},
        "library": {"name": library.name, "email": library.email, "phone": library.phone},
    }
    values = {"granted": bool(extra.get("granted")), "reason": extra.get("reason") or "",
              "url": extra.get("url") or "", "note": getattr(extra.get("note"), "text", "") or ""}
    context.update({name: value for name, value in values.items() if name in KINDS[kind].variables})
    return context


def _sample_context(kind: str, status: str) -> Callable[[Library], dict]:
    def sample(library: Library) -> dict:
        today = timezone.localdate()
        patron = get_user_model()(username="alovelace", first_name="Ada", last_name="Lovelace",
                                  email="ada@example.edu")
        request = IllRequest(pk=1234, role=Role.BORROWING, library=library, patron=patron, status=status,
                             title="The Structure of Scientific Revolutions", author="Kuhn, Thomas S.",
                             publication_date="1962", patron_due_date=today + dt.timedelta(days=21),
                             pickup_location=PickupLocation(name="Main circulation desk"))
        note = Note(text="Your book arrives next week; we will write again when it is here.")
        return email_context(kind, request, granted=True, reason="The item is not held by any library we can ask.",
                             url="https://ill.example.org/my/requests/1234/copy/", note=note)
    return sample


def _patron_kind(key: str, label: str, description: str, *, sample_status: str,
                 variables: dict[str, str] | None = None, preference: str = "") -> EmailKind:
    return EmailKind(key=key, label=label, audience="patron", description=description, templates="borrowing/emails",
                     variables={**COMMON_VARIABLES, **(variables or {})},
                     sample=_sample_context(key, sample_status), preference=preference)


#: Every e-mail to patrons, by key: what the library's wording page says of it, the variables beyond
#: ``COMMON_VARIABLES`` a wording may use, the status of its sample request, the preference that silences it
#: (registered by ``BorrowingConfig.ready``).
KINDS: dict[str, EmailKind] = {kind.key: kind for kind in (
    _patron_kind(READY_FOR_PICKUP, _("Ready for pickup"),
                 _("The item arrived and waits for the patron at the pickup desk."),
                 sample_status=S.READY_FOR_PICKUP),
    _patron_kind(RECALLED, _("Recalled"), _("The lender recalled the item: the patron's due date moved earlier."),
                 sample_status=S.RECALLED),
    _patron_kind(RENEWAL_ANSWERED, _("Renewal answered"), _("The lender granted or refused the patron's renewal."),
                 sample_status=S.CHECKED_OUT, variables={
                     "granted": _("True when the lender renewed the loan: {% if granted %}…{% else %}…{% endif %}.")}),
    _patron_kind(CANCELLED, _("Cancelled"), _("The ILL office cancelled the patron's request."),
                 sample_status=S.CANCELLED, variables={"reason": _("Why the request was cancelled (may be empty).")}),
    _patron_kind(OVERDUE, _("Overdue notice"), _("The loan is past the patron's due date (sent once per due date)."),
                 sample_status=S.OVERDUE),
    _patron_kind(DUE_SOON, _("Due-date reminder"), _("Sent the library's reminder days before the patron's due date."),
                 sample_status=S.CHECKED_OUT, preference="due_date_reminders"),
    _patron_kind(COPY_DELIVERED, _("Copy delivered"),
                 _("An electronic copy arrived: the patron gets its download link."),
                 sample_status=S.DELIVERED, variables={"url": _("The link where the patron downloads the copy.")}),
    _patron_kind(NOTE, _("Message from staff"), _("Staff wrote the patron a note about their request."),
                 sample_status=S.SENT, variables={"note": _("The text staff wrote to the patron.")}),
)}


def draft(kind: str, request: IllRequest, *, key: str, **extra) -> mailer.Draft | None:
    """E-mail ``kind`` about ``request`` rendered for its patron, or ``None`` when they do not get it."""
    to = recipient(request, kind)
    if to is None:
        return None
    rendered = render_for(kind, request, **extra)
    return mailer.Draft(library=request.library, request=request, kind=kind, key=key, to=to,
                        subject=rendered.subject, text=rendered.text, html=rendered.html,
                        reply_to=request.library.email or "")


def write_for_event(kind: str, request: IllRequest, event: Event) -> OutgoingEmail | None:
    """Write the patron's e-mail about ``event`` in its transaction (``None``: the patron does not get it)."""
    extra: dict = {"event": event,
                   "granted": yes_no(event.data.get("answer")),
                   "reason": event.note}
    if kind == COPY_DELIVERED:
        extra["url"] = _copy_url(request, str(event.data.get("url") or ""),
                                 ours=bool(event.data.get("document_name")))
    if kind == CANCELLED and not extra["reason"]:
        latest = request.notes.filter(visibility=NoteVisibility.PATRON).order_by("-created_at").first()
        extra["reason"] = latest.text if latest else ""
    decided = draft(kind, request, key=f"event:{event.pk}:{kind}", **extra)
    return mailer.write(decided) if decided is not None else None


def _copy_url(request: IllRequest, lender_url: str, *, ours: bool = False) -> str:
    """Where the e-mail sends the patron for their copy: our download button behind sign-in, which
    counts downloads; the lender's own link only when the site's address is not configured (``ours``: a
    document supplier's copy we keep, reached by the button only)."""
    site_url = getattr(settings, "ILLMS_SITE_URL", "")
    if site_url and (lender_url or ours):
        return f"{site_url.rstrip('/')}{reverse('patron-request-copy', args=[request.pk])}"
    return lender_url


def on_note_written(sender, note: Note, **kwargs) -> None:
    """A staff note meant for the patron (``requests_app.messaging.note_written``, in the note's
    transaction): its e-mail is written with it."""
    request = note.request
    if (note.visibility == NoteVisibility.PATRON and request.role == Role.BORROWING and request.patron_id
            and note.author_id != request.patron_id):
        decided = draft(NOTE, request, key=f"note:{note.pk}", note=note)
        if decided is not None:
            mailer.write(decided)


# Reminders -----------------------------------------------------------------------------------

def _write_chunk(stage: str, kind: str, requests: list[IllRequest], today: dt.date) -> int:
    """Record ``stage`` for ``requests`` and write their e-mails in one transaction; how many were recorded.

    The rows are claimed in one ``INSERT … ON CONFLICT DO NOTHING RETURNING``: a loan that a second run,
    or a second worker, already recorded is not returned and gets nothing. The e-mails commit with
    their reminder rows or not at all, and go to the mail server after commit, one task each: a worker
    that dies mid-chunk has sent nothing of it, and the next run does the chunk again.
    """
    with transaction.atomic():
        claimed = _claim_reminders(stage, requests, today)
        drafts = [draft(kind, request, key=f"reminder:{request.pk}:{stage}:{request.patron_due_date.isoformat()}")
                  for request in requests if request.pk in claimed]
        mailer.write_many([d for d in drafts if d is not None])
    return len(claimed)


def _claim_reminders(stage: str, requests: list[IllRequest], today: dt.date) -> set[int]:
    """Insert the reminder rows of ``requests`` that do not exist yet; the request ids inserted.

    One statement for the chunk instead of a savepoint, an INSERT and a release per loan (SQLite 3.35+
    and PostgreSQL both have ``ON CONFLICT … RETURNING``).
    """
    if not requests:
        return set()
    meta = ReminderLog._meta
    columns = [meta.get_field(name).column for name in ("request", "stage", "due_date", "sent_on")]
    quote = connection.ops.quote_name
    values = ", ".join(["(%s, %s, %s, %s)"] * len(requests))
    conflict = ", ".join(quote(c) for c in columns[:3])
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)}) VALUES {values} "
           f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {quote(columns[0])}")
    params = [value for r in requests for value in (r.pk, stage, r.patron_due_date, today)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def send_reminders(*, today: dt.date | None = None) -> dict[str, int]:
    """Due-date reminders the library's reminder days before the due date (a policy), and overdue
    notices: each once per loan, stage and due date. Returns how many of each were recorded.

    Restartable: a run after a worker died mid-job finds the loans already recorded and does the rest.
    """
    today = today or timezone.localdate()
    loans = (IllRequest.objects.filter(role=Role.BORROWING)
             .select_related("patron", "patron__patron_profile", "library", "pickup_location"))
    due_soon_loans = loans.filter(_due_within_reminder_days(today), status__in=[S.CHECKED_OUT, S.RECALLED]).exclude(
        _reminded(ReminderStage.DUE_SOON))
    overdue_loans = loans.filter(status=S.OVERDUE, patron_due_date__isnull=False).exclude(
        _reminded(ReminderStage.OVERDUE))
    sent = {"due_soon": 0, "overdue": 0}
    for key, stage, kind, loans_due in (("due_soon", ReminderStage.DUE_SOON, DUE_SOON, due_soon_loans),
                                        ("overdue", ReminderStage.OVERDUE, OVERDUE, overdue_loans)):
        # Read in keyset chunks (one short query each, no cursor held across commits, so it runs behind a
        # transaction-pooling pgbouncer too), never the whole night's loans at once; each chunk claims its rows
        # in one statement and commits once with its e-mails (a commit per loan is a disk flush per loan). Each
        # library's own wording of the reminder is read once for the whole run, not once per loan.
        with cached_overrides():
            size = settings.ILLMS_REMINDER_CHUNK
            for chunk in keyset_batches(loans_due, size):
                sent[key] += _write_chunk(stage, kind, chunk, today)
    return sent


def _reminded(stage: str) -> Exists:
    return Exists(ReminderLog.objects.filter(request=OuterRef("pk"), stage=stage, due_date=OuterRef("patron_due_date")))
