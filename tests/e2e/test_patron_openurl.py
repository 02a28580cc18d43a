"""A patron follows an OpenURL from a discovery system, signs in, submits and sees the request."""

from urllib.parse import urlencode

import pytest

from borrowing.states import BorrowingStatus
from requests_app.models import IllRequest
from tests.factories import PASSWORD, PatronFactory

from .conftest import serious_accessibility_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OPENURL = urlencode([
    ("url_ver", "Z39.88-2004"), ("ctx_ver", "Z39.88-2004"),
    ("rfr_id", "info:sid/primo.exlibrisgroup.com:primo3-Article-crossref"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"), ("rft.genre", "article"),
    ("rft.atitle", "Molecular structure of nucleic acids"), ("rft.jtitle", "Nature"),
    ("rft.aulast", "Watson"), ("rft.aufirst", "J. D."), ("rft.date", "1953"), ("rft.volume", "171"),
    ("rft.issue", "4356"), ("rft.spage", "737"), ("rft.epage", "738"), ("rft.issn", "0028-0836"),
    ("rft_id", "info:doi/10.1038/171737a0"), ("rft_id", "info:pmid/13054692"),
])


def test_a_signed_out_patron_arriving_by_openurl_signs_in_submits_and_sees_the_request(live_server, page):
    patron = PatronFactory(username="ada", first_name="Ada", last_name="Lovelace")

    page.goto(f"{live_server.url}/openurl?{OPENURL}")
    assert "/accounts/login/" in page.url
    assert serious_accessibility_violations(page) == []
    page.get_by_label("Username").fill(patron.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/openurl?**")
    assert page.get_by_label("Article title").input_value() == "Molecular structure of nucleic acids"
    assert page.get_by_label("Journal title").input_value() == "Nature"
    assert page.get_by_label("DOI").input_value() == "10.1038/171737a0"
    assert page.get_by_label("Pages").input_value() == "737-738"
    assert serious_accessibility_violations(page) == []
    page.get_by_label("I have read the copyright warning").check()
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/requests/*/")
    request = IllRequest.objects.get()
    assert (request.patron_id, request.doi, request.pmid) == (patron.pk, "10.1038/171737a0", "13054692")

    # On a phone the main menu is folded away behind its toggle.
    page.get_by_role("button", name="Toggle navigation").click()
    page.get_by_role("link", name="My requests", exact=True).click()
    page.wait_for_url("**/requests/")
    row = page.get_by_role("listitem").filter(has_text="Molecular structure of nucleic acids")
    assert row.get_by_text("Submitted", exact=True).is_visible()
    assert serious_accessibility_violations(page) == []


def sign_in(page, live_server, patron) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(patron.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def fits_the_window(page) -> bool:
    """Nothing wider than the window: the page does not scroll sideways."""
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_pubmed_linkout_link_opens_an_article_form_with_the_pmid_to_complete_and_send(live_server, page,
                                                                                          tmp_path):
    patron = PatronFactory(username="rosalind")
    sign_in(page, live_server, patron)

    page.goto(f"{live_server.url}/openurl?sid=Entrez:PubMed&id=pmid:13054692")
    assert page.get_by_label("PubMed ID (PMID)").input_value() == "13054692"
    assert page.get_by_label("DOI").is_visible()
    assert page.get_by_role("status").filter(has_text="only the PubMed ID").is_visible()
    assert serious_accessibility_violations(page) == []
    assert fits_the_window(page)
    page.screenshot(path=str(tmp_path / "pubmed-link-phone.png"), full_page=True)
    page.get_by_label("Article title").fill("Molecular structure of nucleic acids")
    page.get_by_label("Journal title").fill("Nature")
    page.get_by_label("Year").fill("1953")
    page.get_by_label("I have read the copyright warning").check()
    page.get_by_role("button", name="Send request").click()

    page.wait_for_url("**/requests/*/")
    request = IllRequest.objects.get()
    assert (request.format, request.pmid, request.container_title) == ("article", "13054692", "Nature")


#: A link built from a catalogue record as it comes: ISBD punctuation, a bracketed place, a copyright
#: date, a qualified ISBN, a DOI encoded twice, the first author twice.
MESSY_BOOK = urlencode([
    ("ctx_ver", "Z39.88-2004"), ("rfr_id", "info:sid/primo.exlibrisgroup.com-ALMA"),
    ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book"), ("rft.genre", "book"),
    ("rft.btitle", "The name of the rose /"), ("rft.aulast", "Eco"), ("rft.aufirst", "Umberto"),
    ("rft.au", "Eco, Umberto,"), ("rft.au", "Weaver, William,"), ("rft.pub", "Harcourt Brace Jovanovich,"),
    ("rft.place", "[San Diego] :"), ("rft.date", "c1983."), ("rft.edition", "1st ed."),
    ("rft.isbn", "0151446474 (hbk.)"), ("rft_id", "info:doi/10.5555%2FRose.1983"), ("rft.pages", ""),
])


def test_a_messy_catalogue_link_fills_a_clean_form_that_reads_well_on_a_phone_and_a_desktop(
        live_server, page, tmp_path):
    patron = PatronFactory(username="umberto")
    sign_in(page, live_server, patron)

    page.goto(f"{live_server.url}/openurl?{MESSY_BOOK}")
    assert page.get_by_label("Title").input_value() == "The name of the rose"
    assert page.get_by_label("Author").input_value() == "Eco, Umberto; Weaver, William"
    assert page.get_by_label("Publisher").input_value() == "Harcourt Brace Jovanovich"
    assert page.get_by_label("Place of publication").input_value() == "San Diego"
    assert page.get_by_label("Year").input_value() == "1983"
    assert page.get_by_label("Edition").input_value() == "1st ed."
    assert page.get_by_label("ISBN").input_value() == "9780151446476"
    assert page.get_by_label("DOI").input_value() == "10.5555/Rose.1983"  # not a book field: added, case kept
    assert serious_accessibility_violations(page) == []
    assert fits_the_window(page)
    page.screenshot(path=str(tmp_path / "messy-link-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert fits_the_window(page)
    page.screenshot(path=str(tmp_path / "messy-link-desktop.png"), full_page=True)

    page.get_by_role("button", name="Send request").click()
    page.wait_for_url("**/requests/*/")
    request = IllRequest.objects.get()
    assert (request.title, request.place_of_publication, request.doi) == (
        "The name of the rose", "San Diego", "10.5555/Rose.1983")


def test_the_accessibility_check_reports_a_serious_violation(page):
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>')
    assert any(v.startswith("image-alt") for v in serious_accessibility_violations(page))


def test_the_other_patron_pages_have_no_serious_accessibility_violations(live_server, page):
    patron = PatronFactory(username="grace")
    request = IllRequest.objects.create(role="borrowing", library=patron.patron_profile.library, patron=patron,
                                        status=BorrowingStatus.SUBMITTED, format="book",
                                        title="Notes on the Analytical Engine")
    page.goto(f"{live_server.url}/accounts/password_reset/")
    assert serious_accessibility_violations(page) == []
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill(patron.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    for path in ["/requests/new/", "/requests/new/book/", f"/requests/{request.pk}/", "/requests/preferences/"]:
        page.goto(live_server.url + path)
        assert serious_accessibility_violations(page) == [], path
    # A form sent back with errors stays accessible too.
    page.goto(live_server.url + "/requests/new/article/")
    page.locator("main form").evaluate("form => { form.noValidate = true; }")  # let the server answer
    page.get_by_role("button", name="Send request").click()
    page.wait_for_load_state()
    assert page.locator(".invalid-feedback").count() > 0
    assert serious_accessibility_violations(page) == []
