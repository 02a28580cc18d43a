"""The framework-free reference doors of ``make bench`` (bench/bare.py) do the same work as ours: the same rows
for the same partner and key, and the same rows written; otherwise their ceilings would flatter or shame ours."""

from __future__ import annotations

import datetime as dt
import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.utils import timezone

from requests_app.models import Event, IllRequest
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, partner_key

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def bare(postgres):
    from bench import bare

    bare._STATE.clear()
    bare._keys.clear()
    conn = getattr(bare._local, "conn", None)
    if conn is not None:
        conn.close()
        bare._local.conn = None
    return bare


def call(app, method: str, path: str, key: str, body: dict | None = None) -> tuple[str, dict]:
    path, _, query = path.partition("?")
    data = json.dumps(body).encode() if body is not None else b""
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "HTTP_AUTHORIZATION": f"Bearer {key}", "CONTENT_LENGTH": str(len(data)),
               "wsgi.input": io.BytesIO(data)}
    setup_testing_defaults(environ)
    answer = {}

    def start_response(status, headers):
        answer["status"] = status

    content = b"".join(app.application(environ, start_response))
    return answer["status"], json.loads(content)


@pytest.fixture
def partner_with_requests():
    member = MemberLibraryFactory(symbol="AAA")
    partner, other = LibraryFactory(), LibraryFactory()
    now = timezone.now()
    for n in range(120):
        IllRequestFactory(library=member, partner=partner if n % 4 else other)
    IllRequest.objects.filter(partner=partner).update(updated_at=now - dt.timedelta(days=3))
    return member, partner


def test_the_bare_list_reads_exactly_the_rows_our_list_gives_the_same_partner(client, bare, partner_with_requests):
    _member, partner = partner_with_requests
    key = partner_key(partner)
    since = (timezone.now() - dt.timedelta(days=30)).isoformat().replace("+00:00", "Z")
    ours, url = [], f"/api/v1/requests/?updated_since={since}&page_size=50"
    while url:
        page = client.get(url, HTTP_AUTHORIZATION=f"Bearer {key}").json()
        ours += [row["id"] for row in page["results"]]
        url = page["next"]
    theirs, url = [], f"/bare/requests/?updated_since={since}&page_size=50"
    while url:
        status, page = call(bare, "GET", url, key)
        assert status == "200 OK"
        theirs += [row["id"] for row in page["results"]]
        url = page["next"]
    assert len(ours) == 90
    assert theirs == ours


def test_the_bare_list_refuses_a_wrong_key(bare, partner_with_requests):
    status, _ = call(bare, "GET", "/bare/requests/?updated_since=2026-01-01T00:00:00Z", "illms_abc_def")
    assert status == "401 Unauthorized"


def test_the_bare_create_writes_a_request_and_its_first_event_as_ours_does(bare, partner_with_requests):
    member, partner = partner_with_requests
    status, body = call(bare, "POST", "/bare/requests/", partner_key(partner), {
        "supplying_library": member.symbol, "requesting_agency_request_id": "R-1", "service_type": "Loan",
        "format": "book", "title": "A bare request"})
    assert status == "201 Created"
    created = IllRequest.objects.get(pk=body["id"])
    assert (created.library_id, created.partner_id, created.role, created.title,
            created.requesting_agency_request_id, created.supplying_agency_request_id) == (
        member.pk, partner.pk, "lending", "A bare request", "R-1", f"AAA-{created.pk}")
    assert list(Event.objects.filter(request=created).values_list("action", "to_status")) == [("create", "new")]


@pytest.mark.urls("bench.urls")
def test_the_create_floor_writes_behind_our_doors_what_the_bare_create_writes(client, bare, partner_with_requests):
    member, partner = partner_with_requests
    response = client.post("/bench/create-floor/", {
        "supplying_library": member.symbol, "requesting_agency_request_id": "R-2", "service_type": "Loan",
        "format": "book", "title": "A request at the floor"}, content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {partner_key(partner)}")
    assert response.status_code == 201, response.content
    created = IllRequest.objects.get(pk=response.json()["id"])
    assert (created.library_id, created.partner_id, created.title, created.supplying_agency_request_id) == (
        member.pk, partner.pk, "A request at the floor", f"AAA-{created.pk}")
    assert list(Event.objects.filter(request=created).values_list("action", "to_status")) == [("create", "new")]


@pytest.mark.urls("bench.urls")
def test_the_create_floor_is_behind_the_partner_authentication(client, bare, partner_with_requests):
    member, _ = partner_with_requests
    before = IllRequest.objects.count()
    response = client.post("/bench/create-floor/", {
        "supplying_library": member.symbol, "requesting_agency_request_id": "R-3", "service_type": "Loan",
        "format": "book", "title": "Nobody's request"}, content_type="application/json")
    assert response.status_code == 401
    assert IllRequest.objects.count() == before


def _request_xml(member, partner, rid: str) -> bytes:
    from requests_app.iso18626 import messages as m
    from requests_app.iso18626 import xml
    from requests_app.partners.outgoing import agency_id

    return xml.encode(m.Request(
        header=m.RequestHeader(supplying_agency_id=agency_id(member), requesting_agency_id=agency_id(partner),
                               timestamp=timezone.now(), requesting_agency_request_id=rid),
        bibliographic_info=m.BibliographicInfo(title="Interlending"),
        service_info=m.ServiceInfo(service_type=m.ServiceType.LOAN, request_type=m.RequestType.NEW)))


def _columns_written(row) -> set[str]:
    """The columns a stored message has a value in (not empty, not NULL)."""
    return {f.attname for f in row._meta.concrete_fields if getattr(row, f.attname) not in (None, "", [], {})}


@pytest.mark.urls("bench.urls")
def test_the_intake_floor_writes_the_columns_our_intake_writes_for_a_new_request(client, bare, settings,
                                                                                  monkeypatch):
    from requests_app.models import InboundMessage
    from requests_app.partners import intake

    settings.ILLMS_ISO18626_APPLY = intake.BY_WORKER
    monkeypatch.setattr(intake, "kick", lambda: None)
    monkeypatch.setattr(intake, "_eager", lambda: False)
    member, partner = MemberLibraryFactory(symbol="AAA"), LibraryFactory()
    bare._STATE.clear()  # the member map is read on first use: after the member exists
    key = partner_key(partner)
    ours = client.post("/iso18626", data=_request_xml(member, partner, "R-1"), content_type="application/xml",
                       HTTP_AUTHORIZATION=f"Bearer {key}")
    floor = client.post("/bench/intake-floor/", data=_request_xml(member, partner, "R-2"),
                        content_type="application/xml", HTTP_AUTHORIZATION=f"Bearer {key}")

    assert (ours.status_code, floor.status_code) == (200, 200)
    intake_row, floor_row = InboundMessage.objects.order_by("pk")
    assert _columns_written(floor_row) == _columns_written(intake_row)
    assert (floor_row.sender_id, floor_row.member_id, floor_row.state, floor_row.api_key_prefix) == (
        partner.pk, member.pk, "pending", key.split("_")[1])


@pytest.mark.urls("bench.urls")
def test_the_intake_floor_is_behind_the_partner_authentication(client, bare):
    from requests_app.models import InboundMessage

    member, partner = MemberLibraryFactory(symbol="AAA"), LibraryFactory()

    response = client.post("/bench/intake-floor/", data=_request_xml(member, partner, "R-3"),
                           content_type="application/xml", HTTP_AUTHORIZATION="Bearer illms_000000000000_wrong")

    assert response.status_code == 403
    assert not InboundMessage.objects.exists()
