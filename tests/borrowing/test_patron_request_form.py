"""The patron's request forms: a form per kind of item, the checks before a request is created, OpenURL."""

import datetime as dt
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest
from requests_app.openurl import CITATION_FIELDS, parse_openurl
from tests.borrowing import test_patron_openurl_parsing as parsing
from tests.factories import PASSWORD, IllRequestFactory, PatronFactory, PickupLocationFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


def form_url(fmt: str) -> str:
    return reverse("patron-request-form", args=[fmt])


ARTICLE = {
    "title": "Molecular structure of nucleic acids", "container_title": "Nature", "publication_date": "1953",
    "volume": "171", "pages": "737-738", "delivery_method": "electronic", "copyright_accepted": "on",
}


def test_the_chooser_offers_every_kind_of_item(client, patron):
    response = client.get(reverse("patron-request-new"))
    for fmt in ["book", "article", "chapter", "thesis", "conference", "other"]:
        assert form_url(fmt).encode() in response.content


def test_the_chooser_tells_a_blocked_patron_why_before_they_type_anything(client):
    client.force_login(PatronFactory(profile__blocked=True, profile__blocked_reason="overdue items"))
    response = client.get(reverse("patron-request-new"))
    assert "overdue items" in response.content.decode()


def test_a_book_form_asks_only_for_book_fields():
    from borrowing.forms import RequestForm

    form = RequestForm(format="book", profile=PatronFactory().patron_profile)
    assert {"title", "author", "edition", "publisher", "publication_date", "isbn", "oclc_number"} <= set(form.fields)
    assert not {"container_title", "volume", "issue", "doi", "pmid", "copyright_accepted"} & set(form.fields)
    assert form.fields["title"].required and not form.fields["isbn"].required


def test_an_article_form_requires_the_journal_title_and_year_and_the_copyright_box():
    from borrowing.forms import RequestForm

    form = RequestForm(format="article", profile=PatronFactory().patron_profile)
    assert form.fields["container_title"].label == "Journal title"
    assert all(form.fields[f].required for f in ["title", "container_title", "publication_date",
                                                  "copyright_accepted"])
    assert form.fields["delivery_method"].initial == "electronic"


def test_a_thesis_form_calls_the_publisher_university():
    from borrowing.forms import RequestForm

    form = RequestForm(format="thesis", profile=PatronFactory().patron_profile)
    assert form.fields["publisher"].label == "University"


def test_the_copyright_warning_is_shown_on_copy_forms(client, patron):
    assert b"17, United States Code" in client.get(form_url("article")).content


def test_an_unknown_format_is_not_found(client, patron):
    assert client.get(form_url("spaceship")).status_code == 404


def test_a_valid_book_request_is_created_and_the_patron_sees_it(client, patron):
    response = client.post(form_url("book"), {"title": "The Name of the Rose", "isbn": "0-306-40615-2",
                                              "delivery_method": "physical"}, follow=True)
    request = IllRequest.objects.get()
    assert (request.patron, request.status, request.format, request.isbn) == (
        patron, BorrowingStatus.SUBMITTED, "book", "9780306406157")
    assert response.redirect_chain[-1][0] == reverse("patron-request", args=[request.pk])


def test_an_article_needs_the_copyright_box_ticked(client, patron):
    response = client.post(form_url("article"), {**ARTICLE, "copyright_accepted": ""})
    assert "copyright_accepted" in response.context["form"].errors
    assert not IllRequest.objects.exists()


def test_an_article_with_the_copyright_box_ticked_is_a_copy_request(client, patron):
    client.post(form_url("article"), ARTICLE)
    request = IllRequest.objects.get()
    assert (request.service_type, request.delivery_method, request.container_title) == ("Copy", "electronic",
                                                                                       "Nature")


def test_a_bad_isbn_is_an_error_on_its_field(client, patron):
    response = client.post(form_url("book"), {"title": "X", "isbn": "1234567890", "delivery_method": "physical"})
    assert "isbn" in response.context["form"].errors
    assert not IllRequest.objects.exists()


def test_a_bad_doi_is_an_error_on_its_field(client, patron):
    response = client.post(form_url("article"), {**ARTICLE, "doi": "nonsense"})
    assert "doi" in response.context["form"].errors


def test_a_need_by_date_in_the_past_is_refused(client, patron):
    yesterday = dt.date.today() - dt.timedelta(days=1)
    response = client.post(form_url("book"), {"title": "X", "need_by": yesterday.isoformat(),
                                              "delivery_method": "physical"})
    assert "need_by" in response.context["form"].errors


def test_a_negative_maximum_cost_is_refused(client, patron):
    response = client.post(form_url("book"), {"title": "X", "max_cost": "-1", "delivery_method": "physical"})
    assert "max_cost" in response.context["form"].errors


def test_the_need_by_date_and_maximum_cost_are_stored(client, patron):
    soon = dt.date.today() + dt.timedelta(days=10)
    client.post(form_url("book"), {"title": "X", "need_by": soon.isoformat(), "max_cost": "12.50",
                                   "delivery_method": "physical"})
    request = IllRequest.objects.get()
    assert (request.need_by, str(request.max_cost)) == (soon, "12.50")


def test_the_maximum_cost_is_in_the_patrons_librarys_currency(client):
    patron = PatronFactory(profile__library__currency="CAD")
    client.force_login(patron)
    client.post(form_url("book"), {"title": "X", "max_cost": "5", "delivery_method": "physical"})
    assert IllRequest.objects.get().max_cost_currency == "CAD"


def test_the_pickup_locations_offered_are_the_patrons_librarys_active_ones(client, patron):
    library = patron.patron_profile.library
    mine = PickupLocationFactory(library=library, name="Main desk")
    PickupLocationFactory(library=library, name="Closed desk", active=False)
    PickupLocationFactory(name="Elsewhere")
    form = client.get(form_url("book")).context["form"]
    assert list(form.fields["pickup_location"].queryset) == [mine]


def test_the_chosen_pickup_location_is_stored(client, patron):
    desk = PickupLocationFactory(library=patron.patron_profile.library)
    client.post(form_url("book"), {"title": "X", "pickup_location": desk.pk, "delivery_method": "physical"})
    assert IllRequest.objects.get().pickup_location == desk


def test_a_blocked_patron_sees_the_reason_as_a_form_error_not_a_server_error(client):
    client.force_login(PatronFactory(profile__blocked=True, profile__blocked_reason="lost book"))
    response = client.post(form_url("book"), {"title": "X", "delivery_method": "physical"})
    assert response.status_code == 200
    assert any("lost book" in e for e in response.context["form"].non_field_errors())
    assert not IllRequest.objects.exists()


def test_a_patron_over_the_limit_sees_why_as_a_form_error(client, patron, settings):
    settings.ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON = 1
    IllRequestFactory(patron=patron, library=patron.patron_profile.library)
    response = client.post(form_url("book"), {"title": "X", "delivery_method": "physical"})
    assert any("most allowed is 1" in e for e in response.context["form"].non_field_errors())


def test_a_possible_duplicate_is_shown_and_nothing_is_created(client, patron):
    existing = IllRequestFactory(patron=patron, library=patron.patron_profile.library, title="The Name of the Rose")
    response = client.post(form_url("book"), {"title": "The name of the rose", "delivery_method": "physical"})
    assert response.context["duplicates"] == [(existing, "nearly the same title")]
    assert "submit_anyway" in response.context["form"].fields
    assert IllRequest.objects.count() == 1


def test_a_duplicate_confirmed_with_submit_anyway_is_created(client, patron):
    IllRequestFactory(patron=patron, library=patron.patron_profile.library, title="The Name of the Rose")
    client.post(form_url("book"), {"title": "The name of the rose", "delivery_method": "physical",
                                   "submit_anyway": "on"})
    assert IllRequest.objects.count() == 2


def test_the_submit_anyway_box_is_not_offered_without_duplicates(client, patron):
    assert "submit_anyway" not in client.get(form_url("book")).context["form"].fields


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(form_url("book"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_a_staff_member_without_a_patron_profile_may_not_request(client):
    client.force_login(StaffFactory())
    assert client.get(reverse("patron-request-new")).status_code == 403


# OpenURL -------------------------------------------------------------------------------------

OPENURL = ("url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article"
           "&rft.atitle=Molecular+structure+of+nucleic+acids&rft.jtitle=Nature&rft.date=1953&rft.volume=171"
           "&rft.spage=737&rft.epage=738&rft_id=info:doi/10.1038/171737a0&rfr_id=info:sid/primo.exlibrisgroup.com")


def test_a_signed_out_patron_arriving_by_openurl_is_sent_to_sign_in_and_back_with_the_query(client):
    response = client.get("/openurl?" + OPENURL)
    assert response.status_code == 302
    login_url = urlsplit(response.url)
    assert login_url.path == reverse("login")
    assert parse_qs(login_url.query)["next"] == ["/openurl?" + OPENURL]


def test_signing_in_from_an_openurl_comes_back_to_the_filled_in_form(client):
    patron = PatronFactory()
    login_url = client.get("/openurl?" + OPENURL).url
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    response = client.post(login_url, {"username": patron.username, "password": PASSWORD, "next": next_url},
                           follow=True)
    assert response.context["form"].initial["container_title"] == "Nature"


def test_an_openurl_shows_the_form_of_its_kind_filled_in(client, patron):
    response = client.get("/openurl?" + OPENURL)
    form = response.context["form"]
    assert form.format == "article"
    assert form.initial["title"] == "Molecular structure of nucleic acids"
    assert form.initial["doi"] == "10.1038/171737a0"
    assert form.initial["pages"] == "737-738"
    assert b'value="Molecular structure of nucleic acids"' in response.content
    assert form_url("article").encode() in response.content


def test_an_openurl_with_a_bad_isbn_shows_a_warning_and_leaves_the_field_empty(client, patron):
    response = client.get("/openurl?genre=book&title=A+book&isbn=1234567890")
    assert "isbn" not in response.context["form"].initial
    assert "1234567890" in response.content.decode()


def test_an_empty_openurl_shows_an_empty_other_form(client, patron):
    response = client.get("/openurl")
    assert response.status_code == 200
    assert response.context["form"].format == "other"


def test_a_garbage_openurl_does_not_crash(client, patron):
    assert client.get("/openurl?%%%&rft.genre=&rft_id=info:doi/&&&=x&isbn=" + "9" * 5000).status_code == 200


def test_a_request_sent_from_an_openurl_records_which_system_the_link_came_from(client, patron):
    form = client.get("/openurl?" + OPENURL).context["form"]
    assert form.initial["referrer"] == "primo.exlibrisgroup.com"
    client.post(form_url("article"), {**ARTICLE, "referrer": form.initial["referrer"]})
    event = IllRequest.objects.get().events.get()
    assert event.note == "Sent from a link in primo.exlibrisgroup.com."


def test_an_openurl_with_a_trailing_slash_works_too(client, patron):
    assert client.get("/openurl/?genre=book&title=X").context["form"].format == "book"


# Every shape of link fills in every field it carries -----------------------------------------

class _Inputs(HTMLParser):
    """The values of a page's text inputs and text areas, by name."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value") or ""
        elif tag == "textarea":
            self._textarea = attrs.get("name")
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def shown_values(response) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return {name: value.strip() for name, value in parser.values.items()}


SHAPES = {
    "Google Scholar": parsing.GOOGLE_SCHOLAR, "EBSCO": parsing.EBSCO_ARTICLE_01, "Primo book": parsing.PRIMO_BOOK,
    "Primo article": parsing.PRIMO_ARTICLE, "Alma book from MARC": parsing.ALMA_MARC_BOOK,
    "Summon": parsing.SUMMON_ARTICLE, "Zotero article": parsing.ZOTERO_ARTICLE,
    "Zotero chapter": parsing.ZOTERO_CHAPTER, "VuFind article": parsing.VUFIND_ARTICLE,
    "VuFind map": parsing.VUFIND_DC_MAP, "VuFind thesis": parsing.VUFIND_DC_THESIS, "Scopus": parsing.SCOPUS_ARTICLE,
    "WorldCat book": parsing.WORLDCAT_BOOK, "WorldCat journal": parsing.WORLDCAT_JOURNAL,
    "PubMed LinkOut": parsing.PUBMED_LINKOUT,
}


@pytest.mark.parametrize("link", SHAPES.values(), ids=SHAPES.keys())
def test_each_shape_of_link_prefills_every_field_it_carries(client, patron, link):
    carried = {k: v for k, v in parse_openurl(QueryDict(link)).items() if k in CITATION_FIELDS}
    response = client.get("/openurl?" + link)
    shown = shown_values(response)
    assert carried, "the link carries fields"
    assert {name: shown.get(name) for name in carried} == carried


def test_a_pubmed_linkout_link_shows_an_article_form_with_the_pmid_and_doi_fields(client, patron):
    response = client.get("/openurl?" + parsing.PUBMED_LINKOUT)
    assert response.context["form"].format == "article"
    shown = shown_values(response)
    assert (shown["pmid"], shown["doi"]) == ("13054692", "")
    assert "only the PubMed ID" in response.content.decode()


def test_a_field_the_kind_of_item_does_not_ask_for_is_added_when_the_link_carries_it(client, patron):
    response = client.get("/openurl?" + parsing.SUMMON_ARTICLE)
    assert shown_values(response)["publisher"] == "Wiley Subscription Services, Inc"
    assert "publisher" not in client.get(form_url("article")).context["form"].fields


def test_a_whole_journal_link_asks_the_patron_for_the_article(client, patron):
    response = client.get("/openurl?" + parsing.WORLDCAT_JOURNAL)
    shown = shown_values(response)
    assert (shown["title"], shown["container_title"], shown["oclc_number"]) == ("", "Nature", "1586310")
    assert "not an article in it" in response.content.decode()


def test_an_added_field_is_stored_with_the_request(client, patron):
    client.post(form_url("book"), {"title": "A book with a DOI", "doi": "10.1007/978-3-030-12345-6",
                                   "delivery_method": "physical"})
    assert IllRequest.objects.get().doi == "10.1007/978-3-030-12345-6"


def test_a_doi_is_stored_in_the_case_it_was_typed(client, patron):
    client.post(form_url("article"), {**ARTICLE, "doi": "https://doi.org/10.1002/ASI.24129"})
    assert IllRequest.objects.get().doi == "10.1002/ASI.24129"


def test_the_same_doi_in_other_letters_is_shown_as_a_possible_duplicate(client, patron):
    existing = IllRequestFactory(patron=patron, library=patron.patron_profile.library, format="article",
                                 title="Something else", doi="10.1002/asi.24129")
    response = client.post(form_url("article"), {**ARTICLE, "doi": "10.1002/ASI.24129"})
    assert response.context["duplicates"] == [(existing, "same DOI")]


def test_the_openurl_view_asks_the_citation_look_up_to_complete_the_citation(client, patron, monkeypatch):
    from borrowing.views import patron as views

    seen = []
    monkeypatch.setattr(views, "complete_citation", lambda c: seen.append(dict(c)) or {**c, "title": "Looked up"})
    response = client.get("/openurl?" + parsing.PUBMED_LINKOUT)
    assert seen[0]["pmid"] == "13054692"
    assert shown_values(response)["title"] == "Looked up"
