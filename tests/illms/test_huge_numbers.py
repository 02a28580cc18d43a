"""A number too large for any id in an address is a 404 (or a refusal), never a server error.

Every URL pattern with an id in it (``<id:…>`` and ``<int:…>`` converters, the REST router's ``pk``, the admin's
``object_id``) is found by walking the URL resolver and requested with an id past the largest the
database can store: ``2**63`` (past PostgreSQL's ``bigint`` and SQLite's integers, where the
query raised ``OverflowError``) and ``10**30``. GET and POST, as a staff member, as a partner
library (its API key) and, for the admin, as a superuser; on whichever database the suite runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib import admin
from django.urls import resolve
from rest_framework.test import APIClient

from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.partners.keys import issue_api_key
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory, UserFactory
from tests.url_walk import url_patterns

pytestmark = pytest.mark.django_db

HUGE = {"2**63": 2**63, "10**30": 10**30}
#: A path parameter, ``<conv:name>`` of a route or ``(?P<name>…)`` of a regular expression.
PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")
#: Parameters that are ids although their converter does not say so (the REST router, the admin).
ID_NAMES = {"pk", "object_id"}
#: A real value for the other parameters, so the request reaches the code that looks the id up.
SAMPLES = {"role": "borrowing", "action": "cancel", "change": "up", "format": "book", "app_label": "requests_app"}
ALL_ROLES = [roles.BORROWING_STAFF, roles.LENDING_STAFF, roles.BILLING_STAFF, roles.ILL_ADMINISTRATOR, roles.REPORTING]


def is_id(converter: str | None, name: str) -> bool:
    return converter in ("id", "int") or name in ID_NAMES or name.endswith("_id")


def addresses_with_ids(number: int) -> Iterator[tuple[str, str]]:
    """(route, path) of every pattern that takes an id, with ``number`` as each id."""
    for _name, route, _pattern in url_patterns():
        found = list(PARAMETER.finditer(route))
        if not any(is_id(m["converter"], m["name"] or m["group"]) for m in found):
            continue

        def value(m: re.Match) -> str:
            name = m["name"] or m["group"]
            return str(number) if is_id(m["converter"], name) else SAMPLES.get(name, "x")

        path = "/" + PARAMETER.sub(value, route).replace("^", "").replace("$", "").replace("\\", "")
        yield route, path


def server_errors(client, paths: list[tuple[str, str]]) -> list[str]:
    client.raise_request_exception = False
    errors = []
    for _route, path in paths:
        for method in (client.get, client.post):
            response = method(path)
            if response.status_code >= 500:
                errors.append(f"{method.__name__.upper()} {path}: {response.status_code}")
    return errors


def not_admin(number: int) -> list[tuple[str, str]]:
    return [(route, path) for route, path in addresses_with_ids(number) if not route.startswith("admin/")]


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_a_staff_member_asking_for_an_id_too_large_for_the_database_gets_no_server_error(client, number):
    client.force_login(StaffFactory(library=MemberLibraryFactory(), groups=ALL_ROLES))
    assert server_errors(client, not_admin(number)) == []


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_a_partner_asking_for_an_id_too_large_for_the_database_gets_no_server_error(number):
    _key, secret = issue_api_key(library=LibraryFactory(), name="production")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert server_errors(api, not_admin(number)) == []


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_the_admin_asked_for_an_id_too_large_for_the_database_gets_no_server_error(client, number):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    admin = [(route, path) for route, path in addresses_with_ids(number) if route.startswith("admin/")]
    assert admin, "no admin address takes an id: the walk of the URL resolver is broken"
    assert server_errors(client, admin) == []


def test_the_walk_finds_the_addresses_of_every_app():
    routes = [route for route, _ in addresses_with_ids(1)]
    for prefix in ("requests/", "borrowing/", "lending/", "staff/", "billing/", "policies/", "api/v1/", "admin/"):
        assert any(route.startswith(prefix) for route in routes), prefix


def test_each_address_built_with_a_small_id_reaches_its_own_pattern():
    """So the large ids above were sent to every pattern, not to a catch-all or a 404 of a path built wrong."""
    wrong = [(path, route) for route, path in addresses_with_ids(1)
             if resolve(path).route.replace("^", "") != route.replace("^", "")]
    assert wrong == []


def test_every_id_in_our_addresses_is_read_by_the_id_converter():
    """Django's ``<int:…>`` passes any number on to the view; ``<id:…>`` stops one no row can have."""
    with_int = [route for _name, route, _pattern in url_patterns() if "<int:" in route]
    assert with_int == []


#: Ids that come in form fields and query strings: (method, address, field, the other fields, what the page says).
IDS_IN_FORMS = {
    # A batch print with no request any row can be is an empty selection: back to the queue, saying so.
    "pull slips": ("post", "/lending/print/", "ids", {}, "Select at least one request."),
    "pull slips as PDF": ("get", "/lending/pull-slips.pdf", "ids", {}, "Select at least one request."),
    "shipping labels": ("get", "/lending/labels.pdf", "ids", {}, "Select at least one request."),
    "lending queue after printing": ("get", "/lending/", "printed", {}, "Lending queue"),
    "borrowing bulk action": ("post", "/borrowing/queue/bulk/", "requests", {"action": "cancel"},
                              "Tick at least one request and choose an action."),
    "inbox: mark one read": ("post", "/inbox/read/", "note", {}, "Choose a message to mark read."),
    "settle charges": ("post", "/billing/charges/settle/", "charge", {"settled_on": "2026-01-01"},
                       "is not one of the available choices"),
    "rota: move up": ("post", "/borrowing/requests/{pk}/rota/up/", "entry", {}, "No such rota entry"),
    "rota: remove": ("post", "/borrowing/requests/{pk}/rota/remove/", "entry", {}, "No such rota entry"),
}
BAD_IDS = {"2**63": str(2**63), "10**30": str(10**30), "a superscript two": "\u00b2"}


@pytest.mark.parametrize("bad", BAD_IDS.values(), ids=BAD_IDS.keys())
@pytest.mark.parametrize("case", IDS_IN_FORMS.values(), ids=IDS_IN_FORMS.keys())
def test_an_id_in_a_form_or_query_that_no_row_can_have_is_refused_with_a_reason(client, case, bad):
    library = MemberLibraryFactory()
    client.force_login(StaffFactory(library=library, groups=ALL_ROLES))
    sourcing = IllRequestFactory(library=library, status=BorrowingStatus.SOURCING, partner=None)
    method, url, field, others, said = case
    response = getattr(client, method)(url.format(pk=sourcing.pk), {field: bad, **others}, follow=True)
    if said is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert said in response.content.decode()


def admin_list_filters(number: int) -> Iterator[tuple[str, dict]]:
    """Every admin list, filtered by each of its model's relations, and by ids, with ``number``."""
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        yield url, {"id__in": f"1,{number}"}
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete:
                yield url, {f"{field.name}__exact": str(number)}


@pytest.mark.parametrize("number", HUGE.values(), ids=HUGE.keys())
def test_an_admin_list_filtered_by_a_number_no_id_can_be_goes_to_the_invalid_lookup_page(client, number):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    answers = {(url, tuple(query)): client.get(url, query) for url, query in admin_list_filters(number)}
    assert {key: (r.status_code, r.get("Location")) for key, r in answers.items()
            if (r.status_code, r.get("Location")) != (302, f"{key[0]}?e=1")} == {}


def test_an_admin_list_still_filters_by_a_real_id_and_searches_long_numbers_as_text(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    request, elsewhere = IllRequestFactory(title="Wanted"), IllRequestFactory(title="Elsewhere")
    listed = client.get("/admin/requests_app/illrequest/", {"library__id__exact": request.library_id})
    assert listed.status_code == 200
    assert request.title in listed.content.decode() and elsewhere.title not in listed.content.decode()
    assert client.get("/admin/requests_app/illrequest/", {"q": str(10**30)}).status_code == 200
