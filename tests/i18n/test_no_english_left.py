"""No English left on the pages and in the patron e-mails: rendered in a pseudo-language, every word shown is
inside a marked string (⟪…⟫), data of the test (titles, names, numbers, dates) or a name every language shares.

Scope: the patron's pages (the sign-in, password-reset and error pages, the request chooser and forms, My requests,
a request, its confirmation page, preferences, the patron's help, the header and menus), the patron e-mails, and the
ILL administrator's Policies pages. The staff desks' other pages are checked where their text is all marked.
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
