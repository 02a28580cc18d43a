"""``manage.py seed_demo``: a living demo that a second run leaves as it is."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from requests_app.models import Event, IllRequest, Library, Role
from requests_app.workflow import registry

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def test_seed_creates_a_member_library_and_at_least_six_partners():
    seed(per_state=1)
    assert Library.objects.filter(is_member=True, symbol="DEMO").exists()
    assert Library.objects.filter(is_member=False).count() >= 6
    assert Library.objects.filter(is_member=False, active=False).exists()
    assert Library.objects.filter(is_member=False, lends_loans=False).exists()


def test_seed_puts_requests_in_every_borrowing_and_lending_state():
    seed(per_state=1)
    for role in (Role.BORROWING, Role.LENDING):
        seen = set(IllRequest.objects.filter(role=role).values_list("status", flat=True))
        assert seen == set(registry.get(role).states), role


def test_seed_requests_have_event_histories_that_end_in_their_status():
    seed(per_state=1)
    for request in IllRequest.objects.prefetch_related("events"):
        events = list(request.events.all())
        assert events[0].action == "create"
        assert events[-1].to_status == request.status


def test_running_the_seed_twice_creates_no_duplicates():
    seed(per_state=1)
    counts = [m.objects.count() for m in (Library, get_user_model(), IllRequest, Event)]
    seed(per_state=1)
    assert [m.objects.count() for m in (Library, get_user_model(), IllRequest, Event)] == counts


def test_seed_prints_every_demo_account_with_its_password():
    out = seed(per_state=1, password="s3cret-demo")
    for username in ("borrowing", "lending", "billing", "illadmin", "reports", "admin", "patron"):
        assert any(line.split()[:2] == [username, "s3cret-demo"] for line in out.splitlines()), username


def test_demo_staff_can_sign_in_and_see_requests(client):
    seed(per_state=1)
    assert client.login(username="borrowing", password="illms-demo")
    assert client.get("/").status_code == 200
    page = client.get("/staff/borrowing/")
    assert page.status_code == 200
    title = IllRequest.objects.filter(role="borrowing").order_by("-updated_at").first().title
    assert title[:40] in page.content.decode()
