"""``manage.py seed_demo``: a living demo installation.

Creates a member library (and a second, branch member), partner libraries with differing
policies, patrons, staff accounts in every role, and requests in every state of both
workflows. Each request reaches its state through real workflow actions (the same
``perform`` service staff use), so its history is real. Running it again creates nothing
twice: libraries and accounts are found by their natural keys, and requests are made only
for the states the demo library does not show yet.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, deque
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from borrowing.services import submit_request
from lending.services import receive_request
from requests_app import roles
from requests_app.models import (
    ActorKind,
    IllRequest,
    Library,
    PatronCategory,
    PatronProfile,
    PickupLocation,
    RequestFormat,
    Role,
    StaffProfile,
)
from requests_app.services import perform
from requests_app.workflow import Actor, Transition, Workflow, WorkflowError, registry

DEFAULT_PASSWORD = "illms-demo"

MEMBERS = [
    dict(symbol="DEMO", name="Demo University Library", agency_id_type="OCLC", agency_id_value="DEMO",
         address_line1="1 University Avenue", city="Springfield", region="IL", postal_code="62701", country="US",
         contact_name="Interlibrary Loan Office", email="ill@demo.example.edu", phone="+1 217 555 0100",
         billing_email="billing@demo.example.edu", reciprocal_groups="GWLA", loan_period_days=28,
         timezone="America/Chicago"),
    dict(symbol="DEMOH", name="Demo University Health Sciences Library", agency_id_type="OCLC",
         agency_id_value="DEMOH", address_line1="200 Medical Center Drive", city="Springfield", region="IL",
         postal_code="62702", country="US", email="ill-health@demo.example.edu", reciprocal_groups="GWLA",
         timezone="America/Chicago"),
]

PARTNERS = [
    dict(symbol="NFC", name="Northfield College Library", agency_id_type="OCLC", agency_id_value="NFC",
         city="Northfield", region="MN", country="US", email="ill@northfield.example.edu",
         reciprocal_groups="GWLA", loan_period_days=42),
    dict(symbol="RVU", name="Riverside University Libraries", agency_id_type="OCLC", agency_id_value="RVU",
         city="Riverside", region="CA", country="US", email="ill@riverside.example.edu",
         loan_fee=Decimal("15.00"), copy_fee=Decimal("10.00")),
    dict(symbol="LMP", name="Lakeside Medical Library", agency_id_type="OCLC", agency_id_value="LMP",
         city="Lakeside", region="OH", country="US", email="docdel@lakeside.example.org", lends_loans=False,
         copy_fee=Decimal("12.50"), lending_notes="Copies only; no loans of any material."),
    dict(symbol="PSL", name="Prairie State Library", agency_id_type="ISIL", agency_id_value="US-IaPSL",
         city="Des Moines", region="IA", country="US", email="ill@prairie.example.gov",
         iso18626_endpoint="http://127.0.0.1:8001/iso18626", reciprocal_groups="GWLA"),
    dict(symbol="CUL", name="Coastal University Library", agency_id_type="OCLC", agency_id_value="CUL",
         city="Charleston", region="SC", country="US", email="ill@coastal.example.edu", max_loans_outstanding=5,
         loan_fee=Decimal("20.00")),
    dict(symbol="MTL", name="Bibliothèque universitaire de Montréal", agency_id_type="ISIL",
         agency_id_value="CA-QMU", city="Montréal", region="QC", country="CA", currency="CAD",
         email="peb@montreal.example.ca", loan_fee=Decimal("25.00"), copy_fee=Decimal("15.00")),
    dict(symbol="OHA", name="Old Harbor Athenaeum", agency_id_type="OCLC", agency_id_value="OHA",
         city="Old Harbor", region="ME", country="US", active=False,
         lending_notes="Closed for renovation; not lending until further notice."),
]

PATRONS = [
    ("mrivera", "Maria", "Rivera", PatronCategory.FACULTY, "History"),
    ("jchen", "James", "Chen", PatronCategory.GRADUATE, "Biology"),
    ("aokafor", "Amara", "Okafor", PatronCategory.UNDERGRADUATE, "English"),
    ("lschmidt", "Lena", "Schmidt", PatronCategory.STAFF, "Library"),
    ("dnguyen", "Duc", "Nguyen", PatronCategory.GRADUATE, "Chemistry"),
    ("spatel", "Sana", "Patel", PatronCategory.FACULTY, "Public Health"),
    ("tbrooks", "Tom", "Brooks", PatronCategory.PUBLIC, ""),
    ("patron", "Pat", "Reader", PatronCategory.UNDERGRADUATE, "Philosophy"),
]
BLOCKED_PATRON = ("kblocked", "Kim", "Blocked", PatronCategory.UNDERGRADUATE, "Economics")

STAFF = [
    ("borrowing", "Beth", "Borrower", [roles.BORROWING_STAFF], False),
    ("lending", "Leo", "Lender", [roles.LENDING_STAFF], False),
    ("billing", "Bill", "Ledger", [roles.BILLING_STAFF], False),
    ("illadmin", "Ada", "Administrator", [roles.ILL_ADMINISTRATOR], True),
    ("reports", "Rae", "Porter", [roles.REPORTING], False),
]

BOOKS = [
    dict(format=RequestFormat.BOOK, title="The Structure of Scientific Revolutions", author="Kuhn, Thomas S.",
         isbn="9780226458083", publisher="University of Chicago Press", publication_date="2012", edition="4th"),
    dict(format=RequestFormat.BOOK, title="Middlemarch", author="Eliot, George", isbn="9780141439549",
         publisher="Penguin Classics", publication_date="2003"),
    dict(format=RequestFormat.BOOK, title="Braiding Sweetgrass", author="Kimmerer, Robin Wall", isbn="9781571313560",
         publisher="Milkweed Editions", publication_date="2013"),
    dict(format=RequestFormat.BOOK, title="Introduction to Algorithms", author="Cormen, Thomas H.",
         isbn="9780262033848", publisher="MIT Press", publication_date="2009", edition="3rd"),
    dict(format=RequestFormat.BOOK, title="Thinking, Fast and Slow", author="Kahneman, Daniel",
         isbn="9780374533557", publisher="Farrar, Straus and Giroux", publication_date="2013"),
    dict(format=RequestFormat.BOOK, title="Guns, Germs, and Steel", author="Diamond, Jared", isbn="9780393317558",
         publisher="W. W. Norton", publication_date="1999"),
]
ARTICLES = [
    dict(format=RequestFormat.ARTICLE, title="Interlibrary loan turnaround and the patron experience",
         author="Hosburgh, Nathan", container_title="Journal of Interlibrary Loan, Document Delivery & "
         "Electronic Reserve", issn="1072-303X", volume="31", issue="2", pages="45-61", publication_date="2022",
         doi="10.1080/1072303x.2022.2000001"),
    dict(format=RequestFormat.ARTICLE, title="Resource sharing in academic libraries after the pandemic",
         author="Kress, Nancy", container_title="College & Research Libraries", issn="0010-0870", volume="84",
         issue="3", pages="312-330", publication_date="2023"),
    dict(format=RequestFormat.ARTICLE, title="Measuring fill rates across a consortium",
         author="Alvarez, Rosa", container_title="The Journal of Academic Librarianship", issn="0099-1333",
         volume="49", issue="1", pages="102611", publication_date="2023"),
    dict(format=RequestFormat.ARTICLE, title="Global burden of antimicrobial resistance",
         author="Murray, Christopher J. L.", container_title="The Lancet", issn="0140-6736", volume="399",
         issue="10325", pages="629-655", publication_date="2022", pmid="35065702"),
]
OTHERS = [
    dict(format=RequestFormat.CHAPTER, title="The idea of a university library", author="Shera, Jesse",
         container_title="Libraries and the Organization of Knowledge", isbn="9780199535569", pages="22-41",
         publication_date="1965"),
    dict(format=RequestFormat.THESIS, title="Networks of lending: a history of interlibrary loan in the Midwest",
         author="Lindqvist, Eva", publisher="University of Iowa", publication_date="2019"),
    dict(format=RequestFormat.CONFERENCE, title="Automating lender selection with past fill rates",
         author="Okonkwo, Chidi", container_title="Proceedings of the ILL Forum 2024", pages="88-97",
         publication_date="2024"),
]


class Command(BaseCommand):
    help = "Create demo libraries, accounts and requests in every state (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEFAULT_PASSWORD,
                            help=f"Password of every demo account (default: {DEFAULT_PASSWORD}).")
        parser.add_argument("--per-state", type=int, default=2,
                            help="Requests to show in each state of each side (default: 2).")

    def handle(self, *args, password: str, per_state: int, **options):
        self.per_state = max(per_state, 1)
        self.verbosity = options.get("verbosity", 1)
        with transaction.atomic():
            roles.sync_roles()
            members = [self._library(data, is_member=True) for data in MEMBERS]
            demo = members[0]
            partners = [self._library(data, is_member=False) for data in PARTNERS]
            for code, name in (("main", "Main circulation desk"), ("science", "Science library")):
                PickupLocation.objects.get_or_create(library=demo, code=code, defaults={"name": name})
            accounts = self._accounts(demo, password)
            made = self._requests(demo, partners, accounts["patrons"])
        self._report(accounts, made, password)

    # Directory and accounts ----------------------------------------------------------------

    def _library(self, data: dict, *, is_member: bool) -> Library:
        data = dict(data)
        library, _ = Library.objects.get_or_create(symbol=data.pop("symbol"),
                                                   defaults={**data, "is_member": is_member})
        return library

    def _user(self, username: str, first: str, last: str, password: str, **extra):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.example.edu", **extra},
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        return user

    def _accounts(self, demo: Library, password: str) -> dict:
        desk = PickupLocation.objects.filter(library=demo, code="main").first()
        patrons, rows = [], []
        for n, (username, first, last, category, department) in enumerate([*PATRONS, BLOCKED_PATRON], start=1):
            user = self._user(username, first, last, password)
            blocked = username == BLOCKED_PATRON[0]
            PatronProfile.objects.get_or_create(user=user, defaults={
                "library": demo, "card_barcode": f"21000{n:07d}", "category": category, "department": department,
                "pickup_location": desk, "blocked": blocked,
                "blocked_reason": "Unpaid replacement fee for a lost interlibrary loan item." if blocked else "",
            })
            if not blocked:
                patrons.append(user)
            rows.append((username, "patron (blocked)" if blocked else f"patron, {category}"))
        for username, first, last, group_names, is_staff in STAFF:
            user = self._user(username, first, last, password, is_staff=is_staff)
            user.groups.add(*Group.objects.filter(name__in=group_names))
            StaffProfile.objects.get_or_create(user=user, defaults={"library": demo})
            rows.append((username, ", ".join(group_names)))
        admin = self._user("admin", "Site", "Administrator", password, is_staff=True, is_superuser=True)
        StaffProfile.objects.get_or_create(user=admin, defaults={"library": demo})
        rows.append(("admin", "superuser (Django admin)"))
        return {"patrons": patrons, "rows": rows}

    # Requests ------------------------------------------------------------------------------

    def _requests(self, demo: Library, partners: list[Library], patrons: list) -> int:
        # Seeded requests go to partners without an endpoint, so the demo sends no messages out.
        lenders = [p for p in partners if p.active and not p.iso18626_endpoint and not p.rest_endpoint]
        lender_cycle = itertools.cycle(lenders)
        patron_cycle = itertools.cycle(patrons)
        citations = itertools.cycle([*BOOKS, *ARTICLES, *OTHERS])
        articles = itertools.cycle(ARTICLES)
        made = 0
        for role in (Role.BORROWING, Role.LENDING):
            workflow = registry.get(role)
            present = Counter(IllRequest.objects.filter(library=demo, role=role).values_list("status", flat=True))
            for state in workflow.states:
                missing = self.per_state - present[state]
                if missing <= 0:
                    continue
                path = shortest_path(workflow, state)
                made += self._make(role, demo, state, path, missing, lender_cycle, patron_cycle, citations,
                                   articles, made)
        return made

    def _make(self, role, demo, state, path, count, lender_cycle, patron_cycle, citations, articles, offset) -> int:
        made = 0
        for _ in range(count):
            needs_copy = any(t.action in {"send_to_copyright", "lender_delivered_copy", "deliver_copy",
                                          "complete_copy"} for t in path)
            citation = dict(next(articles) if needs_copy else next(citations))
            try:
                with transaction.atomic():
                    self._walk(role, demo, next(lender_cycle), next(patron_cycle), citation, path, offset + made)
                made += 1
            except (WorkflowError, ValueError) as exc:
                self.stderr.write(f"Could not bring a {role} request to “{state}”: {exc}")
        return made

    def _walk(self, role: str, demo: Library, lender: Library, patron, citation: dict, path: list[Transition],
              n: int) -> IllRequest:
        if role == Role.BORROWING:
            request = submit_request(patron=patron, **citation)
        else:
            request, _ = receive_request(library=demo, partner=lender,
                                         requesting_agency_request_id=f"{lender.symbol}-SEED-{n + 1:04d}",
                                         **citation)
        staff = StaffProfile.objects.filter(library=demo, user__is_superuser=True).select_related("user").first()
        today = dt.date.today()
        for transition in path:
            if transition.action == "send_to_lender" and request.partner_id is None:
                request.partner = lender
                request.save(update_fields=["partner"])
            kind = _actor_kind(transition)
            actor = {ActorKind.STAFF: Actor.staff(staff.user), ActorKind.PARTNER: Actor.partner(request.partner),
                     ActorKind.PATRON: Actor.patron(patron), ActorKind.SYSTEM: Actor.system("demo data")}[kind]
            data = {"due_date": today + dt.timedelta(days=30), "answer": "Y"}
            if transition.action == "mark_overdue":
                self._backdate(request)
            request = perform(request=request, action=transition.action, actor=actor, data=data,
                              note="Demo data" if transition.needs_note else "")
        return request

    @staticmethod
    def _backdate(request: IllRequest) -> None:
        past = dt.date.today() - dt.timedelta(days=5)
        IllRequest.objects.filter(pk=request.pk).update(due_date=past, patron_due_date=past)
        request.due_date = request.patron_due_date = past

    def _report(self, accounts: dict, made: int, password: str) -> None:
        if self.verbosity == 0:
            return
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({made} new requests)."))
        self.stdout.write("Demo accounts (sign in at http://127.0.0.1:8000/accounts/login/):")
        width = max(len(username) for username, _ in accounts["rows"])
        self.stdout.write(f"  {'user'.ljust(width)}  {'password'.ljust(len(password))}  role")
        for username, role in accounts["rows"]:
            self.stdout.write(f"  {username.ljust(width)}  {password}  {role}")


def _actor_kind(transition: Transition) -> ActorKind:
    for kind in (ActorKind.STAFF, ActorKind.PARTNER, ActorKind.SYSTEM, ActorKind.PATRON):
        if kind in transition.performers:
            return kind
    raise ValueError(f"{transition.action} has no performer")


def shortest_path(workflow: Workflow, target: str) -> list[Transition]:
    """The fewest transitions from the initial state to ``target`` (breadth-first over the table)."""
    queue: deque[tuple[str, list[Transition]]] = deque([(workflow.initial, [])])
    seen = {workflow.initial}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for transition in workflow.available(state):
            following = transition.target or state
            if following not in seen:
                seen.add(following)
                queue.append((following, [*path, transition]))
    raise ValueError(f"{workflow.role}: no path to {target}")
