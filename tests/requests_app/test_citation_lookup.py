"""A citation completed from its DOI (Crossref) or PMID (PubMed), both replayed on loopback."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.citation_lookup import complete_citation
from requests_app.models import Event, IllRequest
from tests.factories import IllRequestFactory, MemberLibraryFactory, PatronFactory, StaffFactory
from tests.stub_services import RecordedService

pytestmark = pytest.mark.django_db

ONLY_DOI_NOTICE = ("The link gave only the DOI: please add the article's title, journal and year "
                   "(they are on the page you came from).")


@pytest.fixture
def services(settings):
    crossref, pubmed = RecordedService("crossref"), RecordedService("pubmed")
    settings.ILLMS_CITATION_LOOKUP = ["crossref", "pubmed"]
    settings.ILLMS_CROSSREF_URL = crossref.url
    settings.ILLMS_PUBMED_URL = pubmed.url
    yield {"crossref": crossref, "pubmed": pubmed}
    crossref.stop()
    pubmed.stop()


def bare(**fields) -> dict:
    return {"format": "article", "referrer": "", "warnings": [], "notices": [ONLY_DOI_NOTICE], **fields}


def test_a_doi_alone_becomes_a_full_article_citation_from_crossref(services):
    done = complete_citation(bare(doi="10.1038/nature12373"))
    assert {k: done[k] for k in ("title", "author", "container_title", "volume", "issue", "pages",
                                 "publication_date", "issn")} == {
        "title": "Nanometre-scale thermometry in a living cell", "author": "Kucsko, G. et al.",
        "container_title": "Nature", "volume": "500", "issue": "7460", "pages": "54-58",
        "publication_date": "2013", "issn": "0028-0836"}
    assert done["notices"] == []
    assert done["warnings"][-1].startswith("Filled in from the identifier: title, author, container title")


def test_a_pmid_alone_is_completed_from_pubmed_with_its_doi(services):
    done = complete_citation(bare(pmid="23903748"))
    assert (done["title"], done["container_title"], done["pages"], done["doi"]) == (
        "Nanometre-scale thermometry in a living cell", "Nature", "54-8", "10.1038/nature12373")


def test_what_the_link_gave_is_never_overwritten(services):
    done = complete_citation(bare(doi="10.1038/nature12373", title="As the patron typed it", volume="499"))
    assert (done["title"], done["volume"], done["issue"]) == ("As the patron typed it", "499", "7460")


def test_a_doi_that_is_a_chapter_turns_the_article_into_a_chapter(services):
    done = complete_citation(bare(doi="10.1007/978-3-319-24277-4_9"))
    assert (done["format"], done["container_title"], done["isbn"]) == (
        "chapter", "Advances in Something", "9783319242767")


def test_an_unknown_doi_leaves_the_citation_and_its_notice(services):
    done = complete_citation(bare(doi="10.5555/unknown"))
    assert "title" not in done and done["notices"] == [ONLY_DOI_NOTICE]


def test_a_service_that_does_not_answer_adds_a_warning_and_changes_nothing(services, settings, silent_catalogue):
    settings.ILLMS_CROSSREF_URL = f"http://127.0.0.1:{silent_catalogue.port}"
    settings.ILLMS_CITATION_LOOKUP_TIMEOUT_SECONDS = 0.5
    done = complete_citation(bare(doi="10.1038/nature12373"))
    assert "title" not in done
    assert done["warnings"] == ["Crossref did not answer about the DOI just now: please fill in the fields it "
                                "would have."]


def test_an_answer_is_cached_so_the_same_doi_is_asked_once(services):
    complete_citation(bare(doi="10.1038/nature12373"))
    complete_citation(bare(doi="10.1038/nature12373"))
    assert len(services["crossref"].asked) == 1


def test_without_services_configured_nothing_is_asked(services, settings):
    settings.ILLMS_CITATION_LOOKUP = []
    assert complete_citation(bare(doi="10.1038/nature12373")) == bare(doi="10.1038/nature12373")
    assert services["crossref"].asked == []


def test_a_pubmed_linkout_link_opens_the_article_form_filled_in(client, services):
    client.force_login(PatronFactory())
    response = client.get(reverse("openurl"), {"id": "pmid:23903748"})
    form = response.context["form"]
    assert form.initial["title"] == "Nanometre-scale thermometry in a living cell"
    assert form.initial["container_title"] == "Nature"
    assert "The link gave only" not in response.content.decode()


def test_staff_fill_a_requests_empty_fields_from_its_doi_and_see_what_changed(client, services):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, format="article",
                                title="Thermometry (as typed)", author="", container_title="", volume="",
                                doi="10.1038/nature12373")
    page = client.get(reverse("borrowing_staff:request", kwargs={"pk": request.pk})).content.decode()
    assert "Fill in the empty fields from the DOI" in page
    response = client.post(reverse("borrowing_staff:complete-citation", args=[request.pk]), follow=True)
    request.refresh_from_db()
    assert (request.title, request.container_title, request.volume) == ("Thermometry (as typed)", "Nature", "500")
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Journal or book title “Nature”" in text
    edit = Event.objects.get(request=request, action="edit_citation")
    assert edit.data["volume"] == ["", "500"] and "title" not in edit.data


def test_a_patron_who_typed_only_a_doi_gets_the_form_back_filled_in_and_nothing_is_sent(client, services):
    client.force_login(PatronFactory())
    url = reverse("patron-request-form", args=["article"])
    assert "Fill in from the DOI or PubMed ID" in client.get(url).content.decode()
    response = client.post(url, {"doi": "10.1038/nature12373", "delivery_method": "electronic", "look_up": "1"})
    form = response.context["form"]
    assert (form.initial["title"], form.initial["volume"], form.initial["delivery_method"]) == (
        "Nanometre-scale thermometry in a living cell", "500", "electronic")
    assert "Filled in from the identifier" in response.content.decode()
    assert not IllRequest.objects.exists()


# Open Library, by ISBN --------------------------------------------------------------------

@pytest.fixture
def openlibrary(settings):
    service = RecordedService("openlibrary")
    settings.ILLMS_CITATION_LOOKUP = ["openlibrary"]
    settings.ILLMS_OPENLIBRARY_URL = service.url
    yield service
    service.stop()


def test_an_isbn_alone_becomes_a_book_citation_from_open_library(openlibrary):
    done = complete_citation({"format": "book", "referrer": "", "warnings": [], "notices": [],
                              "isbn": "9780262035613"})
    assert {k: done[k] for k in ("title", "author", "publisher", "place_of_publication", "publication_date",
                                 "oclc_number")} == {
        "title": "Deep Learning", "author": "Goodfellow, Ian et al.", "publisher": "The MIT Press",
        "place_of_publication": "Cambridge, Massachusetts", "publication_date": "2016", "oclc_number": "955778308"}
    assert openlibrary.asked[0].startswith("/api/books?bibkeys=ISBN%3A9780262035613&format=json&jscmd=data")


def test_open_library_gives_the_subtitle_and_the_year_of_a_full_date(openlibrary):
    done = complete_citation({"format": "book", "referrer": "", "warnings": [], "notices": [],
                              "isbn": "9780226458083"})
    assert (done["title"], done["author"], done["publication_date"]) == (
        "The structure of scientific revolutions: third edition", "Kuhn, Thomas S.", "1996")


def test_a_chapters_isbn_fills_in_the_book_it_is_in_not_the_chapter(openlibrary):
    done = complete_citation({"format": "chapter", "referrer": "", "warnings": [], "notices": [],
                              "title": "Convolutional networks", "isbn": "9780262035613"})
    assert (done["title"], done["container_title"], done.get("author")) == (
        "Convolutional networks", "Deep Learning", None)


def test_an_isbn_open_library_does_not_know_changes_nothing(openlibrary):
    done = complete_citation({"format": "book", "referrer": "", "warnings": [], "notices": [],
                              "isbn": "9780000000002"})
    assert "title" not in done and done["warnings"] == []


def test_an_articles_isbn_is_not_looked_up(openlibrary):
    complete_citation({"format": "article", "referrer": "", "warnings": [], "notices": [], "isbn": "9780262035613"})
    assert openlibrary.asked == []


def test_a_patron_who_typed_only_an_isbn_gets_the_book_form_back_filled_in(client, openlibrary):
    client.force_login(PatronFactory())
    url = reverse("patron-request-form", args=["book"])
    assert "Fill in from the ISBN" in client.get(url).content.decode()
    response = client.post(url, {"isbn": "978-0-262-03561-3", "look_up": "1"})
    form = response.context["form"]
    assert (form.initial["title"], form.initial["author"]) == ("Deep Learning", "Goodfellow, Ian et al.")
    assert not IllRequest.objects.exists()


def test_staff_fill_a_books_empty_fields_from_its_isbn(client, openlibrary):
    home = MemberLibraryFactory()
    client.force_login(StaffFactory(library=home, groups=[roles.BORROWING_STAFF]))
    request = IllRequestFactory(library=home, status=BorrowingStatus.SUBMITTED, format="book", title="Deep learning",
                                author="", publisher="", publication_date="", isbn="9780262035613")
    page = client.get(reverse("borrowing_staff:request", kwargs={"pk": request.pk})).content.decode()
    assert "Fill in the empty fields from the ISBN" in page
    client.post(reverse("borrowing_staff:complete-citation", args=[request.pk]))
    request.refresh_from_db()
    assert (request.title, request.author, request.publisher, request.publication_date) == (
        "Deep learning", "Goodfellow, Ian et al.", "The MIT Press", "2016")
    assert Event.objects.get(request=request, action="edit_citation").data["publisher"] == ["", "The MIT Press"]
