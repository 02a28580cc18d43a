"""Role boundaries: every staff screen, export and API endpoint, walked from the URL configuration.

The walk reads the URL resolver, so a screen added later is checked without anyone
remembering to add it here; ``EXPECTED`` says which roles may use each namespace, and a
namespace nobody described fails the completeness test.
"""

from __future__ import annotations

import dataclasses

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import Event, Note, NoteVisibility
from tests.factories import LendingRequestFactory, PatronFactory, StaffFactory

from .conftest import TRACES_OF_PATRON

BORROWING, LENDING, BILLING = roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF
ADMIN, REPORTING = roles.ILL_ADMINISTRATOR, roles.REPORTING
STAFF_GROUPS = [BORROWING, LENDING, BILLING, ADMIN, REPORTING]
PATRON = "patron"
ALL_ROLES = [*STAFF_GROUPS, PATRON]

#: Who may use the screens of each namespace (the others get 403).
EXPECTED: dict[str, set[str]] = {
    "borrowing_staff": {BORROWING, ADMIN},
    "lending": {LENDING, ADMIN},
    "billing": {BILLING, ADMIN},
    "staff:borrowing": {BORROWING, ADMIN},
    "staff:lending": {LENDING, ADMIN},
    "staff:patron-access-log": {ADMIN},
    # The staff side of the REST API: anyone who works a queue (each sees only the sides they work).
    "api": {BORROWING, LENDING, ADMIN},
    "lending-api": {BORROWING, LENDING, ADMIN},
    # Invoices in the API are for partner libraries only.
    "billing-api": set(),
    # The staff inbox: notes and messages of the sides one works.
    "inbox": {BORROWING, LENDING, ADMIN},
    # Statistics are anonymous (category, department) and for those who report.
    "statistics": {ADMIN, REPORTING},
    # The staff help (generated from the workflow tables): any staff member, no patron; a patron following
    # a link to the help index is taken to the patron's own help.
    "help": {*STAFF_GROUPS, PATRON},
    "help:borrowing": set(STAFF_GROUPS),
    "help:lending": set(STAFF_GROUPS),
    # The partner directory (read-only): any staff member of a member library, no patron.
    "directory": set(STAFF_GROUPS),
    # The library's policies, e-mail wording and rules per partner: its ILL administrators only.
    "policies": {ADMIN},
    "partner-rules": {ADMIN},
    # Purchase on demand: the library's purchase rules and vendors, its ILL administrators only.
    "purchasing": {ADMIN},
}
STAFF_NAMESPACES = {key.split(":")[0] for key in EXPECTED}
#: Namespaces that are not ILL staff screens: the Django admin (its own is_staff and model permissions).
OTHER_NAMESPACES = {"admin"}
#: Addresses in those namespaces that are not staff screens.
NOT_STAFF_SCREENS = {
    "lending:download",  # the partner's download link: a secret token, no account
    "lending:sru", "lending:sru_library",  # our lendable holdings over SRU: a public catalogue, no account
    "api:not-found",  # the JSON 404 for any other address
    # Old addresses that only redirect to the side's desk, whose own screens are walked here.
    "staff:queue",
    "staff:request",
}
SAMPLE_ARGUMENTS = {"pk": "1", "action": "cancel", "change": "build", "report": "aging", "token": "x",
                    "delivery_id": "1", "message_id": "1", "call_id": "1", "request_id": "1", "patron_id": "1",
                    "symbol": "NONE",
                    "number": "X1", "format": "book", "path": "", "name": "volume", "kind": "ready-for-pickup"}


@dataclasses.dataclass(frozen=True)
class Screen:
    key: str  # the EXPECTED entry
    name: str
    url: str

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")


def _walk(patterns, namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(p for p in (namespace, pattern.namespace) if p) or None
            yield from _walk(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace:
            yield namespace, pattern


def _arguments(pattern: URLPattern) -> list[str]:
    converters = getattr(pattern.pattern, "converters", None)
    if converters:
        return list(converters)
    return list(pattern.pattern.regex.groupindex)


def namespaces() -> set[str]:
    return {namespace.split(":")[0] for namespace, _ in _walk(get_resolver().url_patterns)}


def staff_screens() -> list[Screen]:
    screens = []
    for namespace, pattern in _walk(get_resolver().url_patterns):
        name = f"{namespace}:{pattern.name}"
        if name in NOT_STAFF_SCREENS or namespace.split(":")[0] not in STAFF_NAMESPACES:
            continue
        arguments = _arguments(pattern)
        kwargs = {a: SAMPLE_ARGUMENTS[a] for a in arguments if a != "role"}
        if "role" in arguments:
            for role in ("borrowing", "lending"):
                screens.append(Screen(f"{namespace}:{role}", name, reverse(name, kwargs={**kwargs, "role": role})))
        elif name in EXPECTED:
            screens.append(Screen(name, name, reverse(name, kwargs=kwargs)))
        else:
            screens.append(Screen(namespace, name, reverse(name, kwargs=kwargs)))
    return screens


def visit(client, url: str):
    """GET, or POST where the address only takes POST (no CSRF token in the test client: a POST gets through)."""
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url, {})
    return response


@pytest.fixture
def library(db):
    from tests.factories import MemberLibraryFactory

    return MemberLibraryFactory()


def user_in(role: str, library):
    if role == PATRON:
        return PatronFactory(profile__library=library)
    return StaffFactory(library=library, groups=[role])


def test_every_namespace_is_described(db):
    assert namespaces() - STAFF_NAMESPACES - OTHER_NAMESPACES == set()


def test_every_namespaced_screen_says_who_may_use_it(db):
    unknown = sorted({f"{s.key} ({s.url})" for s in staff_screens() if s.key not in EXPECTED})

    assert unknown == [], "Say in EXPECTED who may use these, or list them in NOT_STAFF_SCREENS"
    assert len(staff_screens()) > 40  # the walk found the screens, not nothing


@pytest.mark.parametrize("role", ALL_ROLES)
def test_a_role_without_the_permission_is_refused_on_every_staff_screen(role, library, client):
    client.force_login(user_in(role, library))
    wrong = []
    for screen in staff_screens():
        if screen.key not in EXPECTED or role in EXPECTED[screen.key]:
            continue
        status = visit(client, screen.url).status_code
        if status != 403:
            wrong.append(f"{screen.url} ({screen.name}): {status}")
    assert wrong == []


@pytest.mark.parametrize("role", STAFF_GROUPS)
def test_a_role_with_the_permission_gets_past_the_door(role, library, client):
    # Sample ids do not exist: a 404 or a form error is fine, a 403 is not.
    client.force_login(user_in(role, library))
    refused = [f"{s.url} ({s.name})" for s in staff_screens()
               if s.key in EXPECTED and role in EXPECTED[s.key] and visit(client, s.url).status_code == 403]
    assert refused == []


def test_anonymous_visitors_are_sent_to_sign_in_or_refused_by_the_api(db, client):
    wrong = []
    for screen in staff_screens():
        response = visit(client, screen.url)
        if screen.is_api:
            ok = response.status_code in {401, 403}
        else:
            ok = response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        if not ok:
            wrong.append(f"{screen.url} ({screen.name}): {response.status_code}")
    assert wrong == []


def test_staff_without_a_member_library_are_refused(db, client):
    from django.contrib.auth.models import Group

    from tests.factories import UserFactory

    roles.sync_roles()
    user = UserFactory()
    user.groups.add(*Group.objects.filter(name__in=[BORROWING, LENDING, BILLING, ADMIN]))
    client.force_login(user)
    wrong = [f"{s.url}: {visit(client, s.url).status_code}" for s in staff_screens()
             if s.key in EXPECTED and visit(client, s.url).status_code not in {401, 403}]
    assert wrong == []


# What a lending-only staff member sees ----------------------------------------------------------

def test_a_lending_only_staff_member_sees_no_patron_identity_anywhere(privacy_world, client):
    world = privacy_world
    lending = LendingRequestFactory(library=world.library, status=LendingStatus.NEW)
    Note.objects.create(request=lending, visibility=NoteVisibility.PARTNER, author_library=lending.partner,
                        text="Please hurry")
    Event.objects.create(request=lending, action="create", to_status=LendingStatus.NEW, actor_kind="partner",
                         actor_library=lending.partner)
    # A patron note waiting in the staff inbox, on the borrowing side.
    Note.objects.create(request=world.old_request, visibility=NoteVisibility.PATRON, author=world.patron,
                        text="Hypatia Alexandrou asks about her book")
    client.force_login(StaffFactory(library=world.library, groups=[LENDING]))

    pages = ["/", reverse("lending:queue"), reverse("lending:request", args=[lending.pk]), reverse("lending:scan"),
             reverse("lending:holdings"), "/api/v1/requests/",
             f"/api/v1/requests/{lending.pk}/", f"/api/v1/requests/{lending.pk}/notes/"]
    if "inbox" in namespaces():
        pages.append(reverse("inbox:inbox"))
    leaks = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode().lower()
        leaks += [f"{url}: {t}" for t in TRACES_OF_PATRON if t.lower() in body]
    assert leaks == []


def test_a_lending_only_staff_member_cannot_open_a_borrowing_request(privacy_world, client):
    client.force_login(StaffFactory(library=privacy_world.library, groups=[LENDING]))
    pk = privacy_world.old_request.pk

    assert client.get(reverse("borrowing_staff:request", args=[pk])).status_code == 403
    assert client.get(f"/api/v1/requests/{pk}/").status_code == 404
    assert client.get(reverse("lending:request", args=[pk])).status_code == 404


def test_billing_staff_see_patron_charges_without_patron_names(privacy_world, client):
    from decimal import Decimal

    from billing.models import Charge, Direction, Service

    request = privacy_world.make_request(days_ago=1)
    charge = Charge.objects.create(library=request.library, partner=request.partner, patron=privacy_world.patron,
                                   request=request, direction=Direction.PATRON, service=Service.COPY,
                                   amount=Decimal("3"), original_amount=Decimal("3"), currency="USD")
    client.force_login(StaffFactory(library=privacy_world.library, groups=[BILLING]))

    for url in (reverse("billing:charges") + "?direction=patron", reverse("billing:charge", args=[charge.pk])):
        response = client.get(url)
        assert response.status_code == 200
        body = response.content.decode().lower()
        assert request.number.lower() in body
        assert [t for t in TRACES_OF_PATRON if t.lower() in body] == [], url


# The Django admin, with two member libraries ------------------------------------------------------
# Walked from the admin's registry: a table registered later is checked without anyone remembering.

def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def registered_admins() -> list:
    from django.contrib import admin

    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.fixture
def two_libraries(db):
    from tests.factories import MemberLibraryFactory

    from .admin_rows import rows_of

    return rows_of(MemberLibraryFactory()), rows_of(MemberLibraryFactory())


def listed(response) -> set:
    return {row.pk for row in response.context["cl"].result_list}


def opens_as_not_found(response) -> bool:
    # Django's answer to a row its queryset does not hold: back to the admin's index, "doesn't exist".
    return response.status_code == 302 and response["Location"] == reverse("admin:index")


def test_every_admin_of_the_projects_tables_is_scoped_to_the_member_library():
    from django.contrib.auth import get_user_model

    from requests_app.admin_scope import MemberLibraryScopedAdmin

    ours = {"requests_app", "borrowing", "lending", "billing"}
    unscoped = [model._meta.label for model, model_admin in registered_admins()
                if (model._meta.app_label in ours or model is get_user_model())
                and not isinstance(model_admin, MemberLibraryScopedAdmin)]
    assert unscoped == []


def test_the_admin_walk_has_a_row_of_each_library_in_every_scoped_table(two_libraries):
    from requests_app.admin_scope import MemberLibraryScopedAdmin

    ours, _theirs = two_libraries
    missing = [model._meta.label for model, model_admin in registered_admins()
               if isinstance(model_admin, MemberLibraryScopedAdmin) and model not in ours]
    assert missing == [], "Add a row of these tables to tests/privacy/admin_rows.py"


@pytest.mark.parametrize("role", STAFF_GROUPS)
def test_a_member_librarys_staff_see_no_row_of_another_library_anywhere_in_the_admin(role, two_libraries, client):
    from requests_app.admin_scope import MemberLibraryScopedAdmin
    from requests_app.models import Library

    ours, theirs = two_libraries
    client.force_login(StaffFactory(library=ours[Library], groups=[role], is_staff=True))
    wrong = []
    for model, model_admin in registered_admins():
        changelist = client.get(admin_url(model, "changelist"))
        if not isinstance(model_admin, MemberLibraryScopedAdmin):
            # The installation's own tables (groups, schedules of jobs…): superusers only.
            if changelist.status_code != 403:
                wrong.append(f"{model._meta.label}: the installation's list answers {changelist.status_code}")
            continue
        if changelist.status_code == 200 and theirs[model].pk in listed(changelist):
            wrong.append(f"{model._meta.label}: the other library's row is listed")
        elif changelist.status_code not in (200, 403):
            wrong.append(f"{model._meta.label}: the list answers {changelist.status_code}")
        change = client.get(admin_url(model, "change", theirs[model].pk))
        if change.status_code != 403 and not opens_as_not_found(change):
            wrong.append(f"{model._meta.label}: the other library's row answers {change.status_code}")
    assert wrong == []


@pytest.mark.parametrize("role", STAFF_GROUPS)
def test_a_member_librarys_staff_see_their_own_rows_wherever_their_role_may_look(role, two_libraries, client):
    from requests_app.admin_scope import MemberLibraryScopedAdmin
    from requests_app.models import Library

    ours, _theirs = two_libraries
    user = StaffFactory(library=ours[Library], groups=[role], is_staff=True)
    client.force_login(user)
    wrong = []
    looked = 0
    for model, model_admin in registered_admins():
        opts = model._meta
        if not isinstance(model_admin, MemberLibraryScopedAdmin) or not (
                user.has_perm(f"{opts.app_label}.view_{opts.model_name}")
                or user.has_perm(f"{opts.app_label}.change_{opts.model_name}")):
            continue
        looked += 1
        if ours[model].pk not in listed(client.get(admin_url(model, "changelist"))):
            wrong.append(f"{opts.label}: our row is not listed")
        if client.get(admin_url(model, "change", ours[model].pk)).status_code != 200:
            wrong.append(f"{opts.label}: our row does not open")
    assert wrong == []
    assert looked  # every role may look at something (the requests, the directory)


def test_superusers_see_every_librarys_rows_everywhere_in_the_admin(two_libraries, client):
    from requests_app.admin_scope import MemberLibraryScopedAdmin
    from tests.factories import UserFactory

    ours, theirs = two_libraries
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    wrong = []
    for model, model_admin in registered_admins():
        if not isinstance(model_admin, MemberLibraryScopedAdmin):
            continue
        if not {ours[model].pk, theirs[model].pk} <= listed(client.get(admin_url(model, "changelist"))):
            wrong.append(f"{model._meta.label}: not every library's row is listed")
        if client.get(admin_url(model, "change", theirs[model].pk)).status_code != 200:
            wrong.append(f"{model._meta.label}: a row does not open")
    assert wrong == []
