"""Realistic ILL data, loaded with PostgreSQL ``COPY``: fast enough for a million requests in minutes.

The shape follows DOMAIN.md and the network figures of issue 8: ~10,500 libraries, of which a
consortium of member libraries (request volume skewed: the largest does about a quarter of the
work), ten years of history (old requests finished, recent ones spread over the workflow's
states), an audit event per step each request took, rota entries, notes, the lending side's
availability rows, and patrons. ``grow_to(n)`` adds requests until there are ``n``; it never
regenerates, so each size is the previous one plus more history.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from borrowing.models import RotaEntry, RotaStatus
from borrowing.states import BorrowingStatus
from lending.models import LendingDetail
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import Event, IllRequest, Library, Note, PatronProfile, PickupLocation, StaffProfile
from requests_app.partners.keys import issue_api_key

from .copyload import CopyLoader, next_id, reset_sequence

MEMBERS = 20
LIBRARIES = 10_500
YEARS = 10
RECENT_DAYS = 60  # younger requests may still be open; older ones are finished
STAFF_PASSWORD = "bench-staff-password"
PATRONS_PER_REQUEST = 0.1

WORDS = tuple(str.split(
    "history theory practice modern early medieval science art culture society politics economic global "
         "american european asian african water energy climate health medicine law language literature poetry "
         "music religion philosophy education children women war peace trade city rural land sea river "
         "introduction handbook studies journal review letters essays perspectives methods analysis systems "
         "development environment data networks learning memory migration empire revolution nation state"))
SURNAMES = tuple(str.split(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
            "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
            "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores"))
GIVEN = tuple(str.split(
    "Ada Alan Grace Linus Barbara Edsger Donald Frances Ken Margaret John Mary Tim Radia Vint Sophie"))
CATEGORIES = ["faculty", "graduate", "undergraduate", "staff", "public"]
CATEGORY_WEIGHTS = [20, 35, 30, 5, 10]
DEPARTMENTS = ["History", "Biology", "Chemistry", "English", "Law", "Medicine", "Physics", "Music", "Economics", ""]

# Steps of each side's workflow, as (action, status reached); a request's history is the path to its status.
B_PATHS: dict[str, list[str]] = {}
_B = [("create", "submitted"), ("verify", "sourcing"), ("send_to_lender", "sent")]
_B_LOAN = _B + [("lender_shipped", "shipped"), ("receive", "received"), ("notify_patron", "ready_for_pickup"),
                ("check_out", "checked_out")]
B_STEPS = {
    "submitted": _B[:1], "awaiting_copyright": [_B[0], ("send_to_copyright", "awaiting_copyright")],
    "sourcing": _B[:2], "sent": _B, "expects_to_supply": _B + [("lender_expects_to_supply", "expects_to_supply")],
    "conditional": _B + [("lender_conditional", "conditional")], "shipped": _B_LOAN[:4],
    "received": _B_LOAN[:5], "ready_for_pickup": _B_LOAN[:6], "checked_out": _B_LOAN,
    "overdue": _B_LOAN + [("mark_overdue", "overdue")], "recalled": _B_LOAN + [("lender_recalled", "recalled")],
    "returned": _B_LOAN + [("check_in", "returned")],
    "return_shipped": _B_LOAN + [("check_in", "returned"), ("return_ship", "return_shipped")],
    "delivered": _B + [("lender_delivered_copy", "delivered")],
    "end_of_rota": _B[:2] + [("end_rota", "end_of_rota")],
    "cancel_pending": _B + [("request_cancel", "cancel_pending")],
    "cancelled": _B[:1] + [("cancel", "cancelled")],
    "completed_loan": _B_LOAN + [("check_in", "returned"), ("return_ship", "return_shipped"),
                                 ("lender_checked_in", "completed")],
    "completed_copy": _B + [("lender_delivered_copy", "delivered"), ("complete", "completed")],
}
_L = [("create", "new"), ("print_pull_slip", "awaiting_picking")]
L_STEPS = {
    "new": _L[:1], "awaiting_picking": _L, "conditional": _L[:1] + [("offer_conditions", "conditional")],
    "awaiting_shipping": _L + [("will_supply", "awaiting_shipping")],
    "shipped": _L + [("will_supply", "awaiting_shipping"), ("ship", "shipped")],
    "copy_delivered": _L + [("deliver_copy", "copy_delivered")],
    "overdue": _L + [("will_supply", "awaiting_shipping"), ("ship", "shipped"), ("mark_overdue", "overdue")],
    "recalled": _L + [("will_supply", "awaiting_shipping"), ("ship", "shipped"), ("recall", "recalled")],
    "return_shipped": _L + [("will_supply", "awaiting_shipping"), ("ship", "shipped"),
                            ("borrower_return_shipped", "return_shipped")],
    "unfilled": _L[:1] + [("unfill", "unfilled")],
    "cancelled": _L[:1] + [("borrower_cancelled", "cancelled")],
    "completed_loan": _L + [("will_supply", "awaiting_shipping"), ("ship", "shipped"),
                            ("borrower_return_shipped", "return_shipped"), ("check_in", "completed")],
    "completed_copy": _L + [("deliver_copy", "copy_delivered"), ("complete_copy", "completed")],
}
# How likely each status is: among requests younger than RECENT_DAYS, and among older ones (finished).
B_RECENT = {"submitted": 3, "awaiting_copyright": 0.5, "sourcing": 2, "sent": 6, "expects_to_supply": 3,
            "conditional": 0.5, "shipped": 4, "received": 1, "ready_for_pickup": 3, "checked_out": 10,
            "overdue": 2, "recalled": 0.3, "returned": 1, "return_shipped": 3, "delivered": 2, "end_of_rota": 1,
            "cancel_pending": 0.3, "cancelled": 3, "completed": 35}
B_OLD = {"completed": 88, "cancelled": 12}
L_RECENT = {"new": 5, "awaiting_picking": 3, "conditional": 0.5, "awaiting_shipping": 2, "shipped": 12,
            "copy_delivered": 2, "overdue": 1, "recalled": 0.2, "return_shipped": 2, "unfilled": 12,
            "cancelled": 1.5, "completed": 30}
L_OLD = {"completed": 68, "unfilled": 28, "cancelled": 4}
WITH_LENDER = {"sent", "expects_to_supply", "conditional", "cancel_pending"}
NO_LENDER_YET = {"submitted", "awaiting_copyright", "sourcing", "end_of_rota"}
ON_LOAN = {"shipped", "received", "ready_for_pickup", "checked_out", "overdue", "recalled", "returned",
           "return_shipped"}
PARTNER_ACTIONS = ("lender_", "borrower_")


class Chooser:
    """Weighted choice by bisection over cumulative weights (``random.choices`` one at a time is slower)."""

    def __init__(self, weights: dict) -> None:
        self.values = list(weights)
        total, self.cumulative = 0.0, []
        for w in weights.values():
            total += w
            self.cumulative.append(total)
        self.total = total

    def __call__(self, rnd: random.Random):
        return self.values[bisect.bisect(self.cumulative, rnd.random() * self.total)]


def _isbn13(rnd: random.Random) -> str:
    digits = "978" + "".join(str(rnd.randrange(10)) for _ in range(9))
    check = (10 - sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10) % 10
    return digits + str(check)


def _issn(rnd: random.Random) -> str:
    digits = "".join(str(rnd.randrange(10)) for _ in range(7))
    total = sum(int(d) * w for d, w in zip(digits, range(8, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


@dataclass
class Directory:
    members: list[Library] = field(default_factory=list)
    member_weights: list[float] = field(default_factory=list)
    partner_ids: list[int] = field(default_factory=list)
    partner_symbols: dict[int, str] = field(default_factory=dict)
    staff: dict[int, int] = field(default_factory=dict)  # member library id → staff user id
    pickup: dict[int, int] = field(default_factory=dict)  # member library id → pickup location id
    api_key: str = ""
    api_partner: Library | None = None


class Generator:
    def __init__(self, seed: int = 8, now: dt.datetime | None = None) -> None:
        self.rnd = random.Random(seed)
        self.now = now or timezone.now()
        self.dir = Directory()
        rnd = self.rnd
        self.titles = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(2, 7))).capitalize()
                       for _ in range(20_000)]
        self.isbns = [_isbn13(rnd) for _ in range(30_000)]
        self.journals = [(f"Journal of {rnd.choice(WORDS)} {rnd.choice(WORDS)}".title(), _issn(rnd))
                         for _ in range(3_000)]
        self.authors = [f"{rnd.choice(SURNAMES)}, {rnd.choice(GIVEN)}" for _ in range(2_000)]
        self.b_recent, self.b_old = Chooser(B_RECENT), Chooser(B_OLD)
        self.l_recent, self.l_old = Chooser(L_RECENT), Chooser(L_OLD)
        self.category = Chooser(dict(zip(CATEGORIES, CATEGORY_WEIGHTS, strict=True)))

    # Directory ---------------------------------------------------------------------------------

    def ensure_directory(self) -> Directory:
        """~10,500 libraries (the first ``MEMBERS`` are ours), a staff account and a pickup desk per member,
        and an API key for the partner the API benchmark calls as. Idempotent."""
        if not Library.objects.exists():
            self._create_directory()
        d = self.dir
        d.members = list(Library.objects.filter(is_member=True).order_by("symbol"))
        # Zipf: the first member library does the most (1/k of the work), as in a real consortium.
        d.member_weights = [1 / (k + 1) for k in range(len(d.members))]
        rows = Library.objects.filter(is_member=False).order_by("pk").values_list("pk", "symbol")
        d.partner_ids = [pk for pk, _ in rows]
        d.partner_symbols = dict(rows)
        d.partner_symbols.update({m.pk: m.symbol for m in d.members})
        d.staff = dict(StaffProfile.objects.values_list("library_id", "user_id"))
        d.pickup = dict(PickupLocation.objects.values_list("library_id", "pk"))
        return d

    def _create_directory(self) -> None:
        rnd = self.rnd
        libraries = []
        for n in range(LIBRARIES):
            member = n < MEMBERS
            symbol = f"M{n:02d}" if member else f"P{n:05d}"
            libraries.append(Library(
                symbol=symbol, name=f"{'Member' if member else 'Partner'} Library {symbol}", is_member=member,
                agency_id_type="OCLC", agency_id_value=symbol, email=f"ill@{symbol.lower()}.example.org",
                city=rnd.choice(["Springfield", "Columbus", "Dublin", "Halle", "Lyon", "Osaka"]),
                country=rnd.choice(["US", "US", "US", "CA", "GB", "DE", "FR", "JP"]),
                address_line1=f"{rnd.randint(1, 999)} Library Road", postal_code=f"{rnd.randint(10000, 99999)}",
                loan_fee=rnd.choice([0, 0, 10, 15, 25]), copy_fee=rnd.choice([0, 0, 5, 10]),
            ))
        Library.objects.bulk_create(libraries, batch_size=2000)
        groups = roles.sync_roles()
        User = get_user_model()
        password = make_password(STAFF_PASSWORD)
        for member in Library.objects.filter(is_member=True):
            user = User.objects.create(username=f"staff-{member.symbol.lower()}", password=password,
                                       first_name="Desk", last_name=member.symbol, email=f"staff@{member.symbol}.org")
            user.groups.add(groups[roles.BORROWING_STAFF], groups[roles.LENDING_STAFF], groups[roles.BILLING_STAFF])
            StaffProfile.objects.create(user=user, library=member)
            PickupLocation.objects.create(library=member, code="main", name="Main circulation desk")
        assert Group.objects.filter(name=roles.BORROWING_STAFF).exists()

    def api_key_for(self, partner: Library) -> str:
        key, raw = issue_api_key(library=partner, name="benchmark")
        return raw

    # Patrons -----------------------------------------------------------------------------------

    def _grow_patrons(self, target: int) -> dict[int, list[int]]:
        """At least ``target`` patrons, shared among members like the requests; returns their ids per library."""
        User = get_user_model()
        have = PatronProfile.objects.count()
        if have < target:
            d, rnd = self.dir, self.rnd
            first_user = next_id(User)
            users, profiles = [], []
            password = "!"  # unusable: patrons sign in through the library's single sign-on
            joined = self.now.isoformat()
            for i in range(target - have):
                uid = first_user + i
                library = rnd.choices(d.members, weights=d.member_weights)[0]
                users.append(f"{uid}\t{password}\tf\tpatron{uid}\t{rnd.choice(GIVEN)}\t{rnd.choice(SURNAMES)}\t"
                             f"patron{uid}@example.edu\tf\tt\t{joined}")
                profiles.append(f"{uid}\t{library.pk}\t21{uid:010d}\t{self.category(rnd)}\t"
                                f"{rnd.choice(DEPARTMENTS)}\t{d.pickup[library.pk]}\tt\tt\tf\t")
            CopyLoader(User, ["id", "password", "is_superuser", "username", "first_name", "last_name", "email",
                              "is_staff", "is_active", "date_joined"]).copy(users)
            CopyLoader(PatronProfile, ["user_id", "library_id", "card_barcode", "category", "department",
                                       "pickup_location_id", "notify_by_email", "due_date_reminders", "blocked",
                                       "blocked_reason"]).copy(profiles)
            reset_sequence(User)
        by_library: dict[int, list[int]] = {}
        for user_id, library_id in PatronProfile.objects.values_list("user_id", "library_id").iterator(10_000):
            by_library.setdefault(library_id, []).append(user_id)
        return by_library

    # Requests ----------------------------------------------------------------------------------

    def grow_to(self, total: int) -> dict:
        """Add requests (with events, rota entries, notes, lending details) until there are ``total``."""
        started = time.perf_counter()
        have = IllRequest.objects.count()
        if have >= total:
            return {"requests_added": 0, "seconds": 0.0}
        patrons = self._grow_patrons(max(200, int(total * PATRONS_PER_REQUEST)))
        patron_profiles = dict(PatronProfile.objects.values_list("user_id", "category"))
        added = {"requests": 0, "events": 0, "rota": 0, "notes": 0, "lending_details": 0}
        batch = 50_000
        first = next_id(IllRequest)
        event_id = next_id(Event)
        # The step's requests in the order they were made, oldest first, as a production database holds
        # them: ids rise with creation time, and each batch's events fall in a few weeks of one another
        # (a time-range scan reads neighbouring pages, not the whole table). One float per request.
        ages = sorted((self.rnd.random() * YEARS * 365 * 86400 for _ in range(total - have)), reverse=True)
        with transaction.atomic(), bulk_load([IllRequest, Event, RotaEntry, Note, LendingDetail],
                                             drop_indexes=total - have > have):
            for start in range(have, total, batch):
                n = min(batch, total - start)
                requests, events, rota, notes, details = self._batch(first, ages[start - have:start - have + n],
                                                                     event_id, patrons, patron_profiles)
                first += n
                event_id += len(events)
                self._copy(requests, events, rota, notes, details)
                for key, rows in (("requests", requests), ("events", events), ("rota", rota), ("notes", notes),
                                  ("lending_details", details)):
                    added[key] += len(rows)
            for model in (IllRequest, Event, RotaEntry, Note):
                reset_sequence(model)
        load_seconds = time.perf_counter() - started
        analyze()
        return {**{f"{k}_added": v for k, v in added.items()}, "seconds": round(time.perf_counter() - started, 1),
                "load_seconds": round(load_seconds, 1), "storage": storage()}

    def _copy(self, requests, events, rota, notes, details) -> None:
        CopyLoader(IllRequest, REQUEST_COLUMNS).copy(requests)
        CopyLoader(Event, EVENT_COLUMNS).copy(events)
        CopyLoader(RotaEntry, ["request_id", "lender_id", "position", "status", "sent_at", "answered_at",
                               "reason"]).copy(rota)
        CopyLoader(Note, ["request_id", "author_id", "author_library_id", "visibility", "text", "created_at",
                          "read_at"]).copy(notes)
        CopyLoader(LendingDetail, ["request_id", "match_kind", "warnings", "checked_at"]).copy(details)

    def _batch(self, first_id: int, ages: list[float], first_event: int, patrons, categories):
        """Requests ``first_id``… made ``ages`` seconds ago (one each, oldest first), with their rows."""
        d, rnd, now = self.dir, self.rnd, self.now
        requests, events, rota, notes, details = [], [], [], [], []
        partner_count = len(d.partner_ids)
        event_id = first_event
        for pk, age in zip(range(first_id, first_id + len(ages)), ages, strict=True):
            library = rnd.choices(d.members, weights=d.member_weights)[0]
            borrowing = rnd.random() < 0.55
            recent = age < RECENT_DAYS * 86400
            created = now - dt.timedelta(seconds=age)
            article = rnd.random() < 0.5
            fmt = "article" if article else ("book" if rnd.random() < 0.85 else rnd.choice(["chapter", "thesis"]))
            copy = fmt in ("article", "chapter")
            # Partners: a long tail over ~10,500 libraries (squared uniform: the first ones are busiest).
            partner = d.partner_ids[int(rnd.random() ** 2 * partner_count)]
            if borrowing:
                status = (self.b_recent if recent else self.b_old)(rnd)
                if status == BorrowingStatus.COMPLETED:
                    steps = B_STEPS["completed_copy" if copy else "completed_loan"]
                elif copy and status in ON_LOAN:
                    status, steps = BorrowingStatus.DELIVERED, B_STEPS["delivered"]
                else:
                    steps = B_STEPS[status]
                patron = rnd.choice(patrons[library.pk])
            else:
                status = (self.l_recent if recent else self.l_old)(rnd)
                if status == LendingStatus.COMPLETED:
                    steps = L_STEPS["completed_copy" if copy else "completed_loan"]
                elif copy and status in (LendingStatus.SHIPPED, LendingStatus.OVERDUE, LendingStatus.RECALLED,
                                         LendingStatus.RETURN_SHIPPED):
                    status, steps = LendingStatus.COPY_DELIVERED, L_STEPS["copy_delivered"]
                else:
                    steps = L_STEPS[status]
                patron = None
            # The steps happen over a few days to weeks; a recent request may still be moving.
            # (Never "now" for all recent ones alike: ties on updated_at are not what a real queue has.)
            duration = min(age * rnd.random(), rnd.uniform(2, 40) * 86400 * (len(steps) / 6))
            updated = created + dt.timedelta(seconds=duration)
            gap = duration / max(len(steps) - 1, 1)
            has_partner = not (borrowing and status in NO_LENDER_YET) and not (borrowing and len(steps) <= 2)
            title = rnd.choice(self.titles)
            if article:
                journal, issn = rnd.choice(self.journals)
                citation = (title, rnd.choice(self.authors), journal, str(rnd.randint(1, 80)), str(rnd.randint(1, 12)),
                            f"{rnd.randint(1, 400)}-{rnd.randint(401, 420)}", "", issn)
            else:
                citation = (title, rnd.choice(self.authors), "", "", "", "", rnd.choice(self.isbns), "")
            year = str(created.year - rnd.randint(0, 30))
            due = patron_due = r"\N"
            if status in ON_LOAN or (status == BorrowingStatus.COMPLETED and not copy):
                shipped_at = created + dt.timedelta(seconds=gap * 3)
                due_day = (shipped_at + dt.timedelta(days=28)).date()
                if status in (BorrowingStatus.CHECKED_OUT, BorrowingStatus.RECALLED):
                    due_day = now.date() + dt.timedelta(days=rnd.randint(1, 28))
                elif status == BorrowingStatus.OVERDUE:
                    due_day = now.date() - dt.timedelta(days=rnd.randint(1, 30))
                due = due_day.isoformat()
                patron_due = (due_day - dt.timedelta(days=3)).isoformat() if borrowing else r"\N"
            category = categories.get(patron, "") if patron else ""
            requests.append("\t".join((
                str(pk), fmt, *citation[:6], year, citation[6], citation[7], "", "",
                "borrowing" if borrowing else "lending", str(library.pk),
                str(partner) if has_partner else r"\N", str(patron) if patron else r"\N", status,
                "Copy" if copy else "Loan", "electronic" if copy else "physical",
                str(d.pickup[library.pk]) if borrowing else r"\N", category,
                due, patron_due,
                f"{d.partner_symbols[partner]}-{pk}" if not borrowing else f"{library.symbol}-{pk}",
                f"{library.symbol}-L{pk}" if not borrowing else (f"X{pk}" if has_partner else ""),
                created.isoformat(), updated.isoformat(), updated.isoformat(),
            )))
            # The audit log: one event per step.
            staff = d.staff[library.pk]
            previous = ""
            for i, (action, reached) in enumerate(steps):
                at = created + dt.timedelta(seconds=gap * i)
                if i == 0:
                    kind, user, by_library, source = (("patron", patron, r"\N", "web") if borrowing
                                                      else ("partner", r"\N", partner, "iso18626"))
                elif action.startswith(PARTNER_ACTIONS):
                    kind, user, by_library, source = "partner", r"\N", partner, "iso18626"
                elif action == "mark_overdue":
                    kind, user, by_library, source = "system", r"\N", r"\N", "job"
                else:
                    kind, user, by_library, source = "staff", staff, r"\N", "web"
                events.append(f"{event_id}\t{pk}\t{action}\t{previous}\t{reached}\t{kind}\t{user}\t{by_library}\t"
                              f"{source}\t{at.isoformat()}")
                event_id += 1
                previous = reached
            if borrowing and has_partner:
                tried = rnd.choice((1, 1, 1, 2, 3))
                for position in range(1, tried + 1):
                    lender = partner if position == tried else d.partner_ids[int(rnd.random() ** 2 * partner_count)]
                    last = position == tried
                    rota_status = ((RotaStatus.SENT if status in WITH_LENDER else RotaStatus.SUPPLIED) if last
                                   else RotaStatus.UNFILLED)
                    answered = r"\N" if rota_status == RotaStatus.SENT else updated.isoformat()
                    rota.append(f"{pk}\t{lender}\t{position}\t{rota_status}\t{created.isoformat()}\t{answered}\t"
                                f"{'' if last else 'Not on shelf'}")
                    if last and lender == partner:
                        break
            if not borrowing:
                details.append(f"{pk}\t{rnd.choice(('isbn', 'issn', 'title', 'none', 'none'))}\t[]\t"
                               f"{created.isoformat()}")
            if rnd.random() < 0.05:
                notes.append(f"{pk}\t{staff}\t\\N\tinternal\tCalled the patron about the edition.\t"
                             f"{updated.isoformat()}\t\\N")
        return requests, events, rota, notes, details


REQUEST_COLUMNS = [
    "id", "format", "title", "author", "container_title", "volume", "issue", "pages", "publication_date", "isbn",
    "issn", "oclc_number", "doi", "role", "library_id", "partner_id", "patron_id", "status", "service_type",
    "delivery_method", "pickup_location_id", "patron_category", "due_date", "patron_due_date",
    "requesting_agency_request_id", "supplying_agency_request_id", "created_at", "updated_at", "status_changed_at",
]
EVENT_COLUMNS = ["id", "request_id", "action", "from_status", "to_status", "actor_kind", "actor_user_id",
                 "actor_library_id", "source", "created_at"]


@contextmanager
def bulk_load(models: list, *, drop_indexes: bool):
    """Load fast, as ``pg_restore`` does: no foreign-key triggers (the generator's rows are consistent by
    construction), and, for a load larger than what is there, secondary indexes dropped and built again after
    (one sort per index instead of a B-tree insert per row)."""
    definitions: list[str] = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if drop_indexes:
            tables = [m._meta.db_table for m in models]
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(%s) AND NOT EXISTS "
                "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)", [tables])
            for name, definition in cursor.fetchall():
                definitions.append(definition)
                cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def analyze() -> None:
    """Fresh statistics and visibility map after a bulk load, as autovacuum would give a while later."""
    with connection.cursor() as cursor:
        old = connection.connection.autocommit
        connection.connection.autocommit = True
        try:
            cursor.execute("VACUUM ANALYZE")
        finally:
            connection.connection.autocommit = old


#: The tables that grow with the requests (the rest, libraries and their policies, stay small).
GROWING = (IllRequest, Event, RotaEntry, Note, LendingDetail)


def storage() -> dict:
    """What the data takes on disk: the whole database, and each growing table's rows and indexes (MB).

    Right after a bulk load and ``VACUUM``: no dead rows and freshly built indexes, so a production
    database holding the same rows takes somewhat more (pages half-filled by updates, until vacuumed).
    """
    mb = 1024 * 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        database = cursor.fetchone()[0]
        tables = {}
        for model in GROWING:
            name = model._meta.db_table
            cursor.execute("SELECT pg_table_size(%s), pg_indexes_size(%s), "
                           "(SELECT count(*) FROM pg_indexes WHERE tablename = %s)", [name, name, name])
            rows_bytes, index_bytes, index_count = cursor.fetchone()
            tables[name] = {"rows_mb": round(rows_bytes / mb, 1), "indexes_mb": round(index_bytes / mb, 1),
                            "indexes": index_count}
    return {"database_mb": round(database / mb, 1), "requests": IllRequest.objects.count(), "tables": tables}

