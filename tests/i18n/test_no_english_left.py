"""No English left on the pages and in the patron e-mails: rendered in a pseudo-language, every word shown is
inside a marked string (⟪…⟫), data of the test (titles, names, numbers, dates) or a name every language shares.

Scope: the patron's pages (the sign-in, password-reset and error pages, the request chooser and forms, My requests,
a request, its confirmation page, preferences, the patron's help, the header and menus), the patron e-mails, the
ILL administrator's Policies pages, and the staff desks' other pages: the borrowing and lending request pages in
several states, the borrowing scanner, copyright report, saved views and form for a patron, holdings and their
imports, the lending scan desk, the partner directory and the staff help; the staff home, both queues with each
needs-action list, and the inbox; the Django admin's index and the list and new-row form of each of our tables; and
the PDFs that travel to a partner (pull slips, shipping and return labels, the cover sheet), read back from the PDF
in the partner's language.
"""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import dates, translation

from borrowing.services import notifications
from borrowing.states import BorrowingStatus as S
from requests_app import roles
from requests_app.messaging import write_note
from requests_app.models import (
    IllRequest,
    Library,
    Note,
    NoteVisibility,
    PatronLoad,
    PatronLoadError,
    PatronLoadStatus,
    PatronProfile,
    PolicyChange,
    StaffProfile,
)
from tests.factories import (
    IllRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronFactory,
    PickupLocationFactory,
    StaffFactory,
)

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


def assert_no_english(text: str, allowed, *, where: str, html: bool = True) -> None:
    left = pseudo.english_left(text, allowed, html=html)
    assert not left, f"English left unmarked on {where}: {sorted(set(left))}"


def assert_pages_all_marked(pages: dict, allowed) -> None:
    """Each response of ``pages`` (by where it is) shows the pseudo-language and no English outside its marks."""
    for where, response in pages.items():
        page = response.content.decode()
        assert pseudo.OPEN in page, where
        assert_no_english(page, allowed, where=where)


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


# The ILL administrator's Policies pages ------------------------------------------------------------------------

@pytest.fixture
def administrator(client, pseudo_german):
    user = StaffFactory(first_name="Xaver", last_name="Qwonk", groups=[roles.ILL_ADMINISTRATOR])
    StaffProfile.objects.filter(user=user).update(language="de")
    library = user.staff_profile.library
    Library.objects.filter(pk=library.pk).update(name="Qwyx Zvbn", symbol="QWYX")
    user.staff_profile.library.refresh_from_db()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    return user


def staff_data(user, *extra) -> list[str]:
    library = user.staff_profile.library
    return [*german_dates(), user.get_full_name(), user.get_username(), library.name, library.symbol,
            library.currency, *extra]


def test_the_borrowing_lending_and_history_policy_pages_are_all_marked(client, administrator):
    library = administrator.staff_profile.library
    PolicyChange.objects.create(library=library, area="borrowing", changed_by=administrator,
                                changes={"max_renewals": [2, 3], "auto_send_formats": [{}, {"book": True}]})
    PolicyChange.objects.create(library=library, area="lending (directory)", changed_by=administrator,
                                changes={"lends_copies": [True, False]})
    PolicyChange.objects.create(library=library, area="e-mail: Ready for pickup", changed_by=administrator,
                                changes={"standard wording": ["own", "standard"]})
    PolicyChange.objects.create(library=library, area="ncip", changed_by=administrator,
                                changes={"enabled": [False, True]})
    PolicyChange.objects.create(library=library, area="partner QZX", changed_by=administrator,
                                changes={"rule": ["own rule", "deleted"]})
    allowed = staff_data(administrator, "QZX", "book")
    for name in ("policies:borrowing", "policies:lending", "policies:history"):
        assert_no_english(client.get(reverse(name)).content.decode(), allowed, where=name)
    refused = client.post(reverse("policies:borrowing"), {"due_date_buffer_days": 400})
    assert_no_english(refused.content.decode(), allowed, where="a refused borrowing policy")
    refused = client.post(reverse("policies:lending"), {"lending_auto_renew": "on", "loan_period_days": 30})
    assert_no_english(refused.content.decode(), allowed, where="a refused lending policy")


def test_the_rules_per_partner_are_all_marked(client, administrator):
    from lending.models import PartnerLendingRule

    partner = LibraryFactory(symbol="QZX", name="Zqxw Vbnm")
    rule = PartnerLendingRule.objects.create(library=administrator.staff_profile.library, partner=partner,
                                             lends_copies=False, loan_period_days=14, block_unpaid_after_days=30,
                                             note="Qxz wvb.")
    allowed = staff_data(administrator, partner.symbol, partner.name, "Qxz wvb.", "EYM")
    assert_no_english(client.get(reverse("partner-rules:list")).content.decode(), allowed, where="the rules")
    assert_no_english(client.get(reverse("partner-rules:edit", args=[rule.pk])).content.decode(), allowed,
                      where="a rule")
    refused = client.post(reverse("partner-rules:list"), {"partner": "NOPE"})
    assert_no_english(refused.content.decode(), [*allowed, "NOPE"], where="a refused rule")


def test_the_email_wording_pages_are_all_marked(client, administrator):
    from requests_app import email_templates

    allowed = staff_data(administrator)
    assert_no_english(client.get(reverse("policies:emails")).content.decode(), allowed, where="the e-mails")
    for kind in ("ready-for-pickup", "invoice-issued"):
        standard = email_templates.get_kind(kind).standard_wording()
        page = client.get(reverse("policies:email-edit", args=[kind])).content.decode()
        # The standard wording is the file template's source, shown for reference as it is; variables and tags
        # are code.
        code = [*re.findall(r"\{\{.*?\}\}|\{%.*?%\}", html.unescape(page)), *email_templates.get_kind(kind).variables]
        assert_no_english(page, [*allowed, standard, *code], where=f"the wording of {kind}")
        preview = client.post(reverse("policies:email-edit", args=[kind]), {
            "action": "preview", "subject": "{{ r.nope }}", "body_text": "{% load x %}"}).content.decode()
        code = [*re.findall(r"\{\{.*?\}\}|\{%.*?%\}", html.unescape(preview)),
                *email_templates.get_kind(kind).variables]
        assert_no_english(preview, [*allowed, standard, *code, "r.nope"], where=f"a refused wording of {kind}")


def test_the_sign_in_and_ncip_policy_pages_are_all_marked(client, administrator, settings):
    from requests_app.ncip import profiles

    desk = PickupLocationFactory(library=administrator.staff_profile.library, name="Qwzx")
    # The documentation each profile follows is cited as it is published (addresses are data anyway).
    sources = [re.sub(r"https?://\S+", "", source).strip() for profile in profiles.PROFILES.values()
               for source in profile.sources]
    services = [service.value for service in profiles.Service]
    names = [profile.label for profile in profiles.PROFILES.values()]
    page = client.get(reverse("policies:ncip")).content.decode()
    allowed = staff_data(administrator, desk.name, desk.code, *sources, *services, *names, "NCIP", "ILS",
                         "HTTP", "Basic", "Bearer", "AcceptItem's", "CheckOutItem's", "RenewItem's",
                         "Koha's", "FOLIO's", "Sierra's", "Symphony's", "Polaris's", "Evergreen's", "Alma's",
                         "FromAgencyId", "ToAgencyId", "FromAgencyAuthentication", "DateForReturn",
                         "DesiredDateDue", "ItemId", "AgencyId", "RequestScopeType", "AddIssue", "AddRenewal",
                         "NCIPServer", "mod-ncip", "edge-ncip", "ILLMS_NCIP_SCHEMA_DIR", "precat", "cardnumber",
                         "branchcode", "apikey", "secret", "Authorization", "API")
    assert_no_english(page, allowed, where="the NCIP page")
    refused = client.post(reverse("policies:ncip"), {"enabled": "on", "ils": "koha", "auth_scheme": "basic",
                                                      f"pickup_{desk.code}": "has spaces"})
    assert_no_english(refused.content.decode(), [*allowed, "has spaces"], where="a refused NCIP form")
    page = client.get(reverse("policies:signin")).content.decode()
    assert_no_english(page, signin_data(administrator, page), where="the sign-in page")


def signin_data(user, page: str) -> list[str]:
    """The settings' names and values the sign-in page shows as they are (configuration, not prose)."""
    from requests_app.identity.status import door_reports

    codes = re.findall(r"<code[^>]*>(.*?)</code>", page, re.S)
    values = [str(value) for report in door_reports(None) for _setting, value in report.configured]
    words = [word for value in values for word in re.split(r"[\s,()]+", value) if word]
    return staff_data(user, *codes, *words, "SAML", "CAS", "OpenID", "Connect", "LDAP", "Active", "Directory")


def test_the_patron_load_pages_are_all_marked(client, administrator):
    library = administrator.staff_profile.library
    load = PatronLoad.objects.create(library=library, started_by=administrator, original_name="qxz.csv",
                                     file_format="csv", create_missing=False, status=PatronLoadStatus.DONE,
                                     total=3, processed=3, failed=1, skipped=1, stopped=1, updated=1)
    PatronLoadError.objects.create(load=load, line=2, field="expires_on", value="31.02.", message="Qzx wvq.")
    allowed = staff_data(administrator, "qxz.csv", "31.02.", "Qzx wvq.", "expires_on")
    for name, args in (("policies:patron-loads", ()), ("policies:patron-load", (load.pk,)),
                       ("policies:patron-load-columns", ())):
        page = client.get(reverse(name, args=args)).content.decode()
        codes = re.findall(r"<code>(.*?)</code>", page)
        assert_no_english(page, [*allowed, *codes], where=name)


# The staff desks' other pages -----------------------------------------------------------------------------

@pytest.fixture
def clerk(client, pseudo_german):
    """A clerk of both desks whose profile says German, signed in."""
    from requests_app.models import StaffProfile

    home = MemberLibraryFactory(symbol="QZH", name="Qzwx Bibliothek", city="Qwzburg")
    user = StaffFactory(library=home, first_name="Xaver", last_name="Qualtinger")
    StaffProfile.objects.filter(user=user).update(language="de")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    return user


def staff_data_of(*requests: IllRequest, extra=()) -> list[str]:
    """What a desk page shows of its requests that is data: the patron's and the libraries' names, the lenders
    of the rota, the NCIP calls' services and the ILS's answers."""
    from borrowing.models import RotaEntry
    from requests_app.models import NcipCall

    values = data_of(*requests, extra=extra)
    for request in requests:
        values.append(request.requesting_agency_request_id)
        if request.partner:
            values += [request.partner.name, request.partner.symbol]
        if request.patron:
            profile = request.patron.patron_profile
            values += [profile.card_barcode, profile.department]
        values += [part for entry in RotaEntry.objects.filter(request=request).select_related("lender")
                   for part in (entry.lender.name, entry.lender.symbol, entry.call_number, entry.location,
                                entry.holdings_source)]
        values += [part for call in NcipCall.objects.filter(request=request)
                   for part in (call.service, call.answer, call.last_error)]
    return values


def desk_request(clerk, **kwargs) -> IllRequest:
    library = clerk.staff_profile.library
    patron = PatronFactory(first_name="Ximena", last_name="Quoirin", profile__library=library)
    PatronProfile.objects.filter(user=patron).update(department="Qxz")
    kwargs.setdefault("partner", LibraryFactory(symbol="QXL", name="Qwyx Bibliothek", city="Zqw"))
    return IllRequestFactory(library=library, patron=patron, title=TITLE, author=AUTHOR, **kwargs)


def test_the_borrowing_request_page_is_all_marked_in_each_state(client, clerk):
    import decimal

    from borrowing.models import CopyrightRecord, ReturnShipment, RotaEntry, RotaStatus
    from borrowing.services import rota
    from requests_app.directory.holdings import HoldingsLookup
    from requests_app.models import Event, NcipCall, NcipCallStatus, RequestFormat

    library = clerk.staff_profile.library
    desk = PickupLocationFactory(library=library, name="Qwzx")
    submitted = desk_request(clerk, status=S.SUBMITTED, doi="10.1000/xyz", pickup_location=desk,
                             patron_note="Zxq qwz.", max_cost=decimal.Decimal("12.00"),
                             need_by=dt.date.today() + dt.timedelta(days=30))
    sourcing = desk_request(clerk, status=S.SOURCING, partner=None)
    for symbol in ("QYA", "QYB"):
        LibraryFactory(symbol=symbol, name=f"Qyx {symbol}", city="Zqw", loan_fee=decimal.Decimal("5.00"))
    with translation.override("de"):
        rota.build_rota(request=sourcing, lookup=HoldingsLookup())
    tried = RotaEntry.objects.filter(request=sourcing).order_by("position").first()
    RotaEntry.objects.filter(pk=tried.pk).update(status=RotaStatus.NO_ANSWER, reason="No answer in time",
                                                 holdings_known=True, call_number="QA 1 .Q9", available=False,
                                                 sent_at=dt.datetime.now(dt.UTC), answered_at=dt.datetime.now(dt.UTC))
    copy = desk_request(clerk, status=S.AWAITING_COPYRIGHT, format=RequestFormat.ARTICLE,
                        container_title="Qxzy Wqz", issn="0028-0836")
    CopyrightRecord.objects.create(request=copy, library=library, journal_key="0028-0836",
                                   journal_title="Qxzy Wqz", request_year=2026, publication_year=2025)
    conditional = desk_request(clerk, status=S.CONDITIONAL)
    Event.objects.create(request=conditional, action="lender_conditional", from_status=S.SENT,
                         to_status=S.CONDITIONAL, actor_kind="partner", actor_library=conditional.partner,
                         data={"loan_conditions": ["LibraryUseOnly"],
                               "offered_cost": {"amount": "7.50", "currency": "USD"}})
    checked_out = desk_request(clerk, status=S.OVERDUE, renewal_count=1, pickup_location=desk,
                               due_date=dt.date.today() + dt.timedelta(days=2),
                               patron_due_date=dt.date.today() - dt.timedelta(days=3))
    NcipCall.objects.create(request=checked_out, library=library, service="CheckOutItem", attempts=2,
                            status=NcipCallStatus.FAILED, answer="Qzx wqy", last_error="Qzx wqy")
    shipped_back = desk_request(clerk, status=S.RETURN_SHIPPED)
    ReturnShipment.objects.create(request=shipped_back, carrier="QxPost", tracking_number="ZX123")
    PatronProfile.objects.filter(user=submitted.patron).update(blocked=True, blocked_reason="Qwx.")
    write_note(request=submitted, text="Wqxz zqwx.", visibility=NoteVisibility.INTERNAL, author=clerk)

    requests = [submitted, sourcing, copy, conditional, checked_out, shipped_back]
    allowed = staff_data_of(*requests, extra=[clerk.get_full_name(), library.name, "Wqxz zqwx.", "Zxq qwz.",
                                             "Qwx.", "Qxzy Wqz", "0028-0836", "QxPost", "ZX123", "USD", "QA 1 .Q9",
                                             "10.1000/xyz", "CCG", "CCL", "NCIP", "ILS"])
    for request in requests:
        page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
        assert pseudo.OPEN in page
        assert_no_english(page, allowed, where=f"the borrowing request page, {request.status}")


def test_the_borrowing_desks_scanner_copyright_report_saved_views_and_form_for_a_patron_are_all_marked(
        client, clerk):
    from borrowing.models import CopyrightRecord
    from requests_app.models import RequestFormat
    from tests.factories import SavedQueueViewFactory

    library = clerk.staff_profile.library
    received = desk_request(clerk, status=S.SHIPPED, due_date=dt.date.today() + dt.timedelta(days=30),
                            pickup_location=PickupLocationFactory(library=library, name="Qwzx"))
    CopyrightRecord.objects.create(request=desk_request(clerk, format=RequestFormat.ARTICLE), library=library,
                                   journal_key="0028-0836", journal_title="Qxzy Wqz", request_year=2026,
                                   compliance="CCG")
    patron = received.patron
    view = SavedQueueViewFactory(owner=clerk, library=library, name="Qxw zyq")
    allowed = staff_data_of(received, extra=[clerk.get_full_name(), library.name, "Qxzy Wqz", "0028-0836", "CCG",
                                             "CCL", "2026", "Qxw zyq", "Qxz", "qzxw"])
    pages = {
        "the scanner": client.get(reverse("borrowing_staff:scan")),
        "a scan's result": client.post(reverse("borrowing_staff:scan"), {"mode": "receive",
                                                                         "code": received.number}),
        "a refused scan": client.post(reverse("borrowing_staff:scan"), {"mode": "receive", "code": "qzxw"}),
        "the copyright report": client.get(reverse("borrowing_staff:copyright-report"), {"year": 2026}),
        "the patron search": client.get(reverse("borrowing_staff:for-patron"), {"q": "Quoirin"}),
        "a patron search that finds no one": client.get(reverse("borrowing_staff:for-patron"), {"q": "qzxw"}),
        "the kinds of item for a patron": client.get(reverse("borrowing_staff:for-patron-formats",
                                                             args=[patron.pk])),
        "the article form for a patron": client.get(reverse("borrowing_staff:for-patron-form",
                                                            args=[patron.pk, "article"])),
        "a refused form for a patron": client.post(reverse("borrowing_staff:for-patron-form",
                                                           args=[patron.pk, "article"]), {"title": ""}),
        "a saved view": client.get(reverse("staff:saved-view", args=["borrowing", view.pk])),
        "a refused new view": client.post(reverse("staff:saved-views", args=["borrowing"]), {"name": ""}),
    }
    for where, response in pages.items():
        assert response.status_code in (200, 400), where
    assert_pages_all_marked(pages, allowed)


def test_the_lending_request_page_and_the_lending_desks_other_pages_are_all_marked_in_each_state(client, clerk):
    from django.utils import timezone

    from lending.models import ElectronicDelivery, Holding, HoldingsImport, LendingDetail
    from lending.services.availability import check_availability
    from lending.states import LendingStatus as L
    from requests_app.models import (
        AddressPurpose,
        Event,
        NcipCall,
        NcipCallStatus,
        RequesterAddress,
        RequesterDetails,
    )
    from tests.factories import LendingRequestFactory

    library = clerk.staff_profile.library
    borrower = LibraryFactory(symbol="QXB", name="Qwyb Bibliothek", city="Zqw", active=False)
    Holding.objects.create(library=library, title=TITLE, author=AUTHOR, call_number="QA 9 .Z9", location="Qzy",
                           barcode="39qz", circulates=False)

    def lending(status, **kwargs):
        return LendingRequestFactory(library=library, partner=borrower, status=status, title=TITLE, author=AUTHOR,
                                     **kwargs)

    new = lending(L.NEW)
    with translation.override("de"):
        check_availability(request=new)
    RequesterDetails.objects.create(request=new, name="Qwyb Bibliothek", contact_name="Zofia Qx",
                                    billing_method="QxBill", payment_method="QxPay", service_level="QxRush")
    RequesterAddress.objects.create(request=new, purpose=AddressPurpose.SHIP_TO, line1="Qzstr. 1", locality="Zqw")
    conditional = lending(L.CONDITIONAL)
    Event.objects.create(request=conditional, action="offer_conditions", from_status=L.NEW, to_status=L.CONDITIONAL,
                         actor_kind="staff", actor_user=clerk, data={"loan_conditions": ["LibraryUseOnly"]})
    shipped = lending(L.OVERDUE, due_date=dt.date.today() - dt.timedelta(days=2), renewal_count=1)
    LendingDetail.objects.create(request=shipped, shipping_method="Courier", carrier="QxPost", tracking_number="ZX9")
    NcipCall.objects.create(request=shipped, library=library, service="CheckOutItem", attempts=1,
                            status=NcipCallStatus.PENDING, last_error="Qzx wqy",
                            next_attempt_at=timezone.now() + dt.timedelta(minutes=5))
    copy = lending(L.COPY_DELIVERED, service_type="Copy")
    ElectronicDelivery.objects.create(request=copy, file="lending/edelivery/qz.pdf", original_name="qz.pdf",
                                      size=2048, token="qz-token", max_downloads=3, download_count=1,
                                      reissue_count=1, expires_at=timezone.now() + dt.timedelta(days=10))
    job = HoldingsImport.objects.create(library=library, uploaded_by=clerk, file="lending/holdings-imports/q.csv",
                                        original_name="qz.csv", file_format="csv", total=3, processed=3, imported=2,
                                        failed=1, errors=[{"record": 3, "reason": "Qzx wqy"}])

    requests = [new, conditional, shipped, copy]
    allowed = staff_data_of(*requests, extra=[
        clerk.get_full_name(), library.name, "Zofia Qx", "QxBill", "QxPay", "QxRush", "Qzstr. 1", "Zqw",
        "QA 9 .Z9", "Qzy", "39qz", "QxPost", "ZX9", "qz.pdf", "qz.csv", "Qzx wqy", "NCIP", "ILS", "KB",
        "MARC", "MARCXML"])
    for request in requests:
        page = client.get(reverse("lending:request", args=[request.pk])).content.decode()
        assert pseudo.OPEN in page
        assert_no_english(page, allowed, where=f"the lending request page, {request.status}")
    pages = {
        "the holdings": client.get(reverse("lending:holdings")),
        "the holdings import form": client.get(reverse("lending:import_holdings")),
        "an import's progress": client.get(reverse("lending:import", args=[job.pk])),
        "the lending scan desk": client.get(reverse("lending:scan")),
        "a refused lending scan": client.post(reverse("lending:scan"), {"barcode": "", "action": "open"}),
        "an expired download link": client.get(reverse("lending:download", args=["no-such-token"])),
    }
    assert_pages_all_marked(pages, allowed)


def test_the_partner_directory_is_all_marked(client, clerk):
    from lending.models import PartnerLendingRule
    from requests_app.figure_cells import MEASURES

    library = clerk.staff_profile.library
    partner = LibraryFactory(symbol="QXP", name="Qwyp Bibliothek", city="Zqw", loan_fee=4, contact_name="Zofia Qx",
                             phone="+49 30 1234", address_line1="Qzstr. 1", postal_code="10115", country="DE",
                             lending_notes="Qzx wqy.")
    PartnerLendingRule.objects.create(library=library, partner=partner, lends_copies=False, loan_period_days=14,
                                      block_unpaid_after_days=30, note="Qwz.")
    allowed = [*german_dates(), clerk.get_full_name(), library.name, library.symbol, partner.name, partner.symbol,
               partner.city, partner.country, partner.email, partner.currency, partner.timezone, partner.phone,
               partner.agency_id_type, partner.agency_id_value, "Zofia Qx", "Qzstr. 1", "10115", "Qzx wqy.", "Qwz.",
               "Alpha", "NFC", "DE-1", "Springfield", "ISIL", "ISO", "SRU", "REST",
               # The turnaround measures are the statistics' words.
               *(str(measure.label) for measure in MEASURES)]
    pages = {
        "the partner list": client.get(reverse("directory:list")),
        "a partner search": client.get(reverse("directory:list"), {"q": "Qwyp", "country": "DE"}),
        "a refused partner search": client.get(reverse("directory:list"), {"country": "Q1"}),
        "a partner": client.get(reverse("directory:detail", args=[partner.symbol])),
    }
    assert_pages_all_marked(pages, allowed)


def test_the_staff_help_is_all_marked(client, clerk):
    from requests_app.help import workflow_help
    from requests_app.workflow import registry

    library = clerk.staff_profile.library
    allowed = [*german_dates(), clerk.get_full_name(), library.name, library.symbol, "ISO", "REST", "API",
               "NCIP", "ILS", "Mermaid", "ILLMS_MAX_RENEWALS"]
    pages = {"the staff help": client.get(reverse("help:index"))}
    for role in ("borrowing", "lending"):
        with translation.override("de"):
            help_ = workflow_help(registry.get(role))
        # The states' codes, the ISO 18626 element names and the Mermaid source are the protocol's and the
        # program's, not words.
        allowed += [*(s.state.value for s in help_.states), *(a.transition.action for a in help_.actions),
                    *(str(a.transition.iso18626) for a in help_.actions if a.transition.iso18626),
                    *(v for a in help_.actions if a.transition.iso18626 for v in a.transition.iso18626.values),
                    help_.diagram, "supplyingAgencyMessage", "requestingAgencyMessage", "reasonForMessage",
                    "ExpectToSupply", "WillSupply", "Loaned", "AcceptItem", "CheckOutItem", "RenewItem",
                    "CheckInItem", "DeleteItem", "RequestItem", "CancelRequestItem", "CCG", "CCL"]
        pages[f"the {role} help"] = client.get(reverse("help:workflow", args=[role]))
    assert_pages_all_marked(pages, allowed)

# Billing ---------------------------------------------------------------------------------------------------------

def test_the_billing_pages_are_all_marked(client, pseudo_german):
    from decimal import Decimal

    from billing.models import Invoice
    from billing.services import create_monthly_invoices
    from tests.billing.factories import BudgetFactory, FeeScheduleFactory, ReceivableFactory
    from tests.factories import LendingRequestFactory

    clerk = StaffFactory(first_name="Xaver", last_name="Qwonk", groups=[roles.BILLING_STAFF])
    StaffProfile.objects.filter(user=clerk).update(language="de")
    library = clerk.staff_profile.library
    partner = LibraryFactory(symbol="QZX", name="Zqxw Vbnm")
    request = LendingRequestFactory(library=library, partner=partner, title=TITLE, author=AUTHOR)
    charge = ReceivableFactory(request=request, amount=Decimal("30.00"),
                               incurred_at=dt.datetime(2026, 10, 3, 12, tzinfo=dt.UTC))
    create_monthly_invoices(now=dt.datetime(2026, 11, 2, tzinfo=dt.UTC))
    invoice = Invoice.objects.get(library=library, partner=partner)
    open_charge = ReceivableFactory(request=LendingRequestFactory(library=library, partner=partner))
    BudgetFactory(library=library, fiscal_year="FY2026", fund="Qzxv")
    FeeScheduleFactory(library=library, partner=None)
    client.force_login(clerk)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    allowed = [*staff_data(clerk), partner.symbol, partner.name, invoice.number, request.number,
               open_charge.request.number, open_charge.request.citation_line, request.citation_line, "FY2026",
               "Qzxv", "USD", "EUR", "IFM"]
    # An invoice's lines are written when it is made, in the partner's language: data here.
    allowed += [text for line in invoice.lines.all() for text in (line.description, line.partner_reference)]
    pages = {"the overview": reverse("billing:dashboard"), "the invoices": reverse("billing:invoices"),
             "an invoice": reverse("billing:invoice", args=[invoice.pk]),
             "the charges": reverse("billing:charges"), "a charge": reverse("billing:charge", args=[charge.pk]),
             "an open charge": reverse("billing:charge", args=[open_charge.pk]),
             "the budgets": reverse("billing:budgets"), "a new budget": reverse("billing:budget-new"),
             "the fees": reverse("billing:fees"), "the exchange rates": reverse("billing:exchange-rates"),
             "the reports": reverse("billing:reports"), "the invoice run": reverse("billing:invoice-create"),
             "a lost item": reverse("billing:lost-item", args=[open_charge.request.pk])}
    for where, url in pages.items():
        page = client.get(url)
        assert page.status_code == 200, where
        assert_no_english(page.content.decode(), allowed, where=where)


def pdf_words(data: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_pdfs_that_travel_to_a_german_partner_are_all_marked(pseudo_german):
    from borrowing import pdf as borrowing_pdf
    from lending import pdf as lending_pdf
    from tests.factories import LendingRequestFactory, LibraryFactory

    partner = LibraryFactory(name="Qwx Bibliothek", symbol="QWX", language="de", address_line1="Zqwstr. 1",
                             city="Xqzburg", postal_code="12345", country="DE")
    lent = LendingRequestFactory(partner=partner, title=TITLE, author=AUTHOR, need_by=dt.date(2026, 12, 24),
                                 requesting_agency_request_id="QWX-1")
    borrowed = IllRequestFactory(partner=partner, title=TITLE, author=AUTHOR, due_date=dt.date(2026, 12, 24),
                                 supplying_agency_request_id="QWX-2")
    lent, borrowed = (IllRequest.objects.select_related("library", "partner").get(pk=r.pk) for r in (lent, borrowed))
    allowed = [*data_of(lent, borrowed), partner.name, partner.symbol, "Zqwstr. 1", "Xqzburg", "DE", "QWX-1",
               "QWX-2", lent.library.city, lent.library.country, borrowed.library.city, borrowed.library.country]
    for where, data in (("the pull slips", lending_pdf.pull_slips([lent])),
                        ("the shipping labels", lending_pdf.shipping_labels([lent])),
                        ("the cover sheet", lending_pdf.cover_sheet(lent)),
                        ("the return labels", borrowing_pdf.return_labels([borrowed]))):
        text = pdf_words(data)
        assert pseudo.OPEN in text, where
        assert_no_english(text, allowed, where=where, html=False)


# Sign-in security (two factors) and the patron access log -----------------------------------------------------

def test_the_two_factor_pages_are_all_marked(client, pseudo_german):
    from tests.factories import PASSWORD, give_authenticator, totp_code

    user = StaffFactory(first_name="Xaver", last_name="Qwonk", groups=[roles.LENDING_STAFF])
    StaffProfile.objects.filter(user=user).update(language="de")
    device = give_authenticator(user, recovery_codes=("aaaabbbb", "ccccdddd"))
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    from django.conf import settings

    allowed = [*staff_data(user), settings.OTP_TOTP_ISSUER, "FreeOTP", "Aegis", "Google", "Authenticator",
               "Microsoft", "QR", "README"]
    verify = client.get(reverse("two-factor-verify")).content.decode()
    assert_no_english(verify, allowed, where="the code page")
    client.post(reverse("two-factor-verify"), {"code": totp_code(device)})
    assert_no_english(client.get(reverse("account-security")).content.decode(), allowed, where="the security page")
    enrol = client.get(reverse("two-factor-enrol")).content.decode()
    secret = re.search(r"data-secret>([^<]+)<", enrol).group(1)
    assert_no_english(enrol, [*allowed, secret], where="the set-up page")
    refused = client.post(reverse("two-factor-enrol"), {"code": "12"}).content.decode()
    assert_no_english(refused, [*allowed, secret, "12"], where="a refused set-up")
    client.post(reverse("account-new-recovery-codes"), {"codes-password": PASSWORD})
    codes = client.get(reverse("two-factor-recovery-codes")).content.decode()
    shown = re.findall(r"<li>([^<]+)</li>", codes)
    assert_no_english(codes, [*allowed, *shown], where="the recovery codes")


def test_the_patron_access_log_is_all_marked(client, administrator):
    from requests_app.privacy import log_patron_access

    patron = PatronFactory(first_name="Ximena", last_name="Quoirin")
    PatronProfile.objects.filter(user=patron).update(library=administrator.staff_profile.library)
    patron.refresh_from_db()
    log_patron_access(administrator, patron=patron, what="qzxw", path="/borrowing/requests/1/")
    allowed = [*staff_data(administrator), patron.get_full_name(), patron.get_username(),
               patron.patron_profile.card_barcode, "qzxw", "/borrowing/requests/1/", "nobody-qz"]
    url = reverse("staff:patron-access-log")
    for where, query in (("the log", patron.get_username()), ("an unknown patron", "nobody-qz"), ("the form", "")):
        page = client.get(url, {"patron": query} if query else {}).content.decode()
        paths = re.findall(r"<code>([^<]*)</code>", page)
        assert_no_english(page, [*allowed, *paths], where=f"the access log: {where}")


def test_the_statistics_page_its_sections_and_its_csv_headers_are_all_marked(client, pseudo_german):
    from tests.statistics import scenario

    month = scenario.build(MemberLibraryFactory(symbol="QZS", name="Qzwy Bibliothek"))
    user = StaffFactory(library=month.own, first_name="Xaver", last_name="Qualtinger", groups=[roles.REPORTING])
    StaffProfile.objects.filter(user=user).update(language="de")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    march = {"start": "2026-03-01", "end": "2026-03-31"}
    titles = [value for request in month.requests.values()
              for value in (request.title, request.container_title, request.author, request.isbn, request.issn,
                            request.patron_department)]
    allowed = [*staff_data(user), *titles, month.aaa.name, month.aaa.symbol, month.bbb.name, month.bbb.symbol,
               "UTC", month.own.timezone, "ACRL/IPEDS", "ISSN", "ISBN", "CSV", "PostgreSQL", "percentile_cont",
               "NotHeld", "NotOnShelf", "NoAnswer", "Unspecified", "owned_locally", "open_access", "purchased",
               "cancelled"]
    from requests_app.statistics import tables

    pages = {f"the statistics section {name}": client.get(reverse("statistics:index"), {**march, "section": name})
             for name in tables.SECTIONS}
    pages["the statistics of lending alone"] = client.get(reverse("statistics:index"), {**march, "role": "lending"})
    pages["a refused period"] = client.get(reverse("statistics:index"), {"start": "2026-04-01", "end": "2026-03-01"})
    pages["a section loaded into its tab"] = client.get(reverse("statistics:section", args=["fill-rate"]), march)
    assert_pages_all_marked(pages, allowed)
    for name in tables.TABLES:
        response = client.get(reverse("statistics:csv", args=[name]), march)
        header = b"".join(response.streaming_content).decode().splitlines()[0]
        assert_no_english(header, allowed, where=f"the CSV header of {name}", html=False)


def test_the_staff_home_both_queues_with_each_needs_action_list_and_the_inbox_are_all_marked(client, clerk):
    from lending.states import LendingStatus as L
    from requests_app import action_lists
    from requests_app.models import Role
    from tests.factories import LendingRequestFactory

    library = clerk.staff_profile.library
    borrowing = [desk_request(clerk, status=status) for status in (S.SUBMITTED, S.SHIPPED, S.OVERDUE)]
    lending = [LendingRequestFactory(library=library, partner=LibraryFactory(symbol="QXB", name="Qwyb Bibliothek",
                                                                             city="Zqw"),
                                     title=TITLE, author=AUTHOR, status=status) for status in (L.NEW, L.SHIPPED)]
    allowed = staff_data_of(*borrowing, *lending, extra=[clerk.get_full_name(), clerk.get_username()])
    pages = {"the staff home": reverse("home"), "the borrowing queue": reverse("borrowing_staff:queue"),
             "the lending queue": reverse("lending:queue"), "the inbox": reverse("inbox:inbox")}
    for role, queue in ((Role.BORROWING, "borrowing_staff:queue"), (Role.LENDING, "lending:queue")):
        for item in action_lists.action_lists.of(role):
            pages[f"the {role} needs-action list {item.key}"] = (
                f"{reverse(queue)}?{action_lists.PARAMETER}={item.key}")
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        page = response.content.decode()
        assert pseudo.OPEN in page, where
        assert_no_english(page, allowed, where=where)


# The Django admin ----------------------------------------------------------------------------------------------

#: What the admin shows that is not ours to translate, or not words: other packages' app and model names
#: (django-axes, django-otp's plugins, whose “TOTP devices” and “Static devices” have no German), and codes and
#: names every language writes alike (the protocols' message kinds, the NCIP services, the ILS and ILL systems,
#: header names).
ADMIN_NAMES_EVERY_LANGUAGE_SHARES = {
    "Axes", "Otp", "Totp", "TOTP", "Static", "devices", "API", "ISO", "XML", "MARCXML", "SRU", "AVA", "Dublin", "Core",
    "Authorization", "Bearer", "Api", "Alma", "Alma's", "ILLiad", "ReShare", "mod", "WorldShare", "Tipasa",
}


def admin_codes() -> set[str]:
    """The codes the admin's filters show beside each label (“Eingereicht (submitted)”): states, actions and
    message kinds, as the database holds them."""
    from requests_app.admin_lists import event_actions, message_kinds, request_statuses
    from requests_app.ncip.profiles import Service

    return {code for choices in (request_statuses(), event_actions(), message_kinds()) for code, _ in choices} | {
        service.value for service in Service}


def test_the_admins_index_and_the_lists_and_forms_of_our_tables_are_all_marked(client, pseudo_german):
    from django.contrib import admin
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("xqroot", "xqroot@example.org", "Qz-9xw-long-pass")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "de", "next": "/"})
    request = IllRequestFactory(title=TITLE, author=AUTHOR)
    codes = admin_codes()
    currencies = Library.objects.values_list("currency", flat=True)
    allowed = [*staff_data_of(request), user.get_username(), *currencies, *ADMIN_NAMES_EVERY_LANGUAGE_SHARES, *codes,
               *(word for code in codes for word in code.split("_"))]
    pages = {"the admin's index": "/admin/",
             "a request in the admin": reverse("admin:requests_app_illrequest_change", args=[request.pk])}
    for model in admin.site._registry:
        meta = model._meta
        if meta.app_label in {"requests_app", "borrowing", "lending", "billing"}:
            pages[f"the admin's list of {meta.model_name}"] = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_changelist")
            pages[f"the admin's form for a new {meta.model_name}"] = reverse(
                f"admin:{meta.app_label}_{meta.model_name}_add")
    for where, url in pages.items():
        response = client.get(url)
        if response.status_code == 403:  # a table the admin only reads (rows come from the desks or the jobs)
            continue
        assert response.status_code == 200, where
        assert_no_english(response.content.decode(), allowed, where=where)
