"""No English left on the patron's pages and in the patron e-mails: rendered in a pseudo-language, every word shown
is inside a marked string (⟪…⟫), data of the test (titles, names, numbers, dates) or a name every language shares.

Scope: the patron's pages (the sign-in, password-reset and error pages, the request chooser and forms, My requests,
a request, its confirmation page, preferences, the patron's help, the header and menus) and the patron e-mails.
The staff desks are not checked yet (their text is not all marked).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import dates, translation

from borrowing.services import notifications
from borrowing.states import BorrowingStatus as S
from requests_app.messaging import write_note
from requests_app.models import IllRequest, Note, NoteVisibility, PatronProfile
from tests.factories import IllRequestFactory, PatronFactory, PickupLocationFactory, StaffFactory

from . import pseudo

pytestmark = pytest.mark.django_db

TITLE = "Zyxwv Qrstuv"
AUTHOR = "Kowalczyk, Zofia"


@pytest.fixture
def pseudo_german(settings, tmp_path, compiled_translations):
    pseudo.install(tmp_path)
    settings.LOCALE_PATHS = [tmp_path]
    yield
    pseudo.forget_catalogues()


@pytest.fixture
def patron(client, pseudo_german):
    user = PatronFactory(first_name="Ximena", last_name="Quoirin")
    PatronProfile.objects.filter(user=user).update(language="de")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    return user


def german_dates() -> set[str]:
    with translation.override("de"):
        return {str(name) for table in (dates.MONTHS, dates.MONTHS_3, dates.MONTHS_AP, dates.MONTHS_ALT,
                                        dates.WEEKDAYS, dates.WEEKDAYS_ABBR) for name in table.values()}


def data_of(*requests: IllRequest, extra=()) -> list[str]:
    values = [*german_dates(), *extra]
    for request in requests:
        library = request.library
        values += [request.title, request.author, request.number, request.citation_line, library.name,
                   library.symbol, library.email, request.publication_date]
        if request.patron:
            values += [request.patron.get_full_name(), request.patron.get_username(), request.patron.email]
        if request.pickup_location:
            values.append(request.pickup_location.name)
    return values


def assert_no_english(html: str, allowed, *, where: str) -> None:
    left = pseudo.english_left(html, allowed)
    assert not left, f"English left unmarked on {where}: {sorted(set(left))}"


def own_request(patron, **kwargs) -> IllRequest:
    library = patron.patron_profile.library
    return IllRequestFactory(library=library, patron=patron, title=TITLE, author=AUTHOR, **kwargs)


def test_the_sign_in_and_password_pages_are_all_marked(client, pseudo_german):
    for name in ("login", "password_reset", "password_reset_done", "password_reset_complete"):
        page = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="de").content.decode()
        assert pseudo.OPEN in page
        assert_no_english(page, german_dates(), where=name)


def test_the_error_pages_are_all_marked(client, patron):
    page = client.get("/no/such/page/").content.decode()
    assert_no_english(page, [*german_dates(), patron.get_full_name(), "/no/such/page/"], where="the 404 page")


def test_the_request_chooser_and_forms_are_all_marked(client, patron):
    pages = {"the chooser": reverse("patron-request-new")}
    pages.update({f"the {fmt} form": reverse("patron-request-form", args=[fmt])
                  for fmt in ("book", "article", "chapter", "conference", "thesis", "other")})
    library = patron.patron_profile.library
    for where, url in pages.items():
        page = client.get(url).content.decode()
        assert_no_english(page, [*german_dates(), patron.get_full_name(), library.currency], where=where)


def test_a_refused_form_is_all_marked(client, patron):
    page = client.post(reverse("patron-request-form", args=["article"]), {"title": "", "delivery_method": "x"})
    assert page.status_code == 200
    assert_no_english(page.content.decode(), [*german_dates(), patron.get_full_name(),
                                              patron.patron_profile.library.currency], where="a refused form")


def test_my_requests_and_a_request_are_all_marked(client, patron):
    desk = PickupLocationFactory(library=patron.patron_profile.library, name="Qwzx")
    overdue = own_request(patron, status=S.OVERDUE, pickup_location=desk,
                          patron_due_date=dt.date.today() - dt.timedelta(days=3))
    response = client.post(reverse("patron-request-form", args=["book"]), {
        "title": "Qxwz Vbnm", "author": AUTHOR, "delivery_method": "physical", "pickup_location": desk.pk})
    assert response.status_code == 302
    sent = IllRequest.objects.filter(patron=patron).exclude(pk=overdue.pk).get()
    write_note(request=sent, text="Wqxz zqwx.", visibility=NoteVisibility.PATRON,
               author=StaffFactory(library=sent.library))
    allowed = data_of(overdue, sent, extra=[patron.get_full_name(), "Wqxz zqwx."])
    assert_no_english(client.get(reverse("patron-requests")).content.decode(), allowed, where="My requests")
    for request in (overdue, sent):
        page = client.get(reverse("patron-request", args=[request.pk])).content.decode()
        assert_no_english(page, allowed, where=f"the page of a request {request.status}")


def test_the_confirmation_page_is_all_marked(client, patron):
    request = own_request(patron, status=S.SUBMITTED)
    page = client.post(reverse("patron-request-action", args=[request.pk, "cancel"]),
                       {"expected_status": request.status}).content.decode()
    assert "confirmed" in page
    assert_no_english(page, data_of(request), where="the confirmation page")


def test_the_preferences_page_is_all_marked(client, patron):
    page = client.get(reverse("patron-preferences")).content.decode()
    assert_no_english(page, [*german_dates(), patron.get_full_name()], where="the preferences")


def test_the_patrons_help_is_all_marked(client, patron):
    page = client.get(reverse("patron-help")).content.decode()
    assert_no_english(page, [*german_dates(), patron.get_full_name()], where="the patron's help")


@pytest.mark.parametrize("kind", sorted(notifications.KINDS))
def test_every_patron_email_is_all_marked(pseudo_german, settings, kind):
    settings.ILLMS_SITE_URL = "https://ill.example.org"
    patron = PatronFactory(first_name="Ximena", last_name="Quoirin")
    PatronProfile.objects.filter(user=patron).update(language="de")
    patron.refresh_from_db()
    request = own_request(patron, status=S.CHECKED_OUT, patron_due_date=dt.date.today() + dt.timedelta(days=5),
                          pickup_location=PickupLocationFactory(library=patron.patron_profile.library, name="Qwzx"))
    extra = {"granted": True, "reason": "Zqw.", "url": "https://ill.example.org/x/", "note": Note(text="Wqxz.")}
    rendered = notifications.render_for(kind, request, **extra)
    allowed = data_of(request, extra=["Zqw.", "Wqxz.", "https://ill.example.org", "/x/"])
    assert pseudo.OPEN in rendered.subject
    assert_no_english(rendered.subject, allowed, where=f"the subject of {kind}")
    left = pseudo.english_left(rendered.text, allowed, html=False)
    assert not left, f"English left unmarked in the text of {kind}: {sorted(set(left))}"
    assert_no_english(rendered.html, allowed, where=f"the HTML of {kind}")
