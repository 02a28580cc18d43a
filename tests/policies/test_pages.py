"""The policy pages: only a library's ILL administrators open and post them, bad input changes nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lending.models import PartnerLendingRule
from requests_app import roles
from requests_app.models import EmailTemplate, Library, LibraryPolicy, PolicyChange
from requests_app.policies import policy_for
from tests.factories import LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("policies:borrowing", ()), ("policies:lending", ()), ("policies:emails", ()),
    ("policies:email-edit", ("ready-for-pickup",)), ("policies:history", ()), ("partner-rules:list", ()),
    ("policies:signin", ()), ("policies:ncip", ()),
]


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", loan_period_days=28)


@pytest.fixture
def admin(home):
    return StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR])


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def borrowing_data(**overrides) -> dict:
    data = {"due_date_buffer_days": 3, "max_renewals": 2, "max_active_requests": 25, "rota_auto_advance_days": 3,
            "lender_silent_days": 2, "due_soon_days": 7, "rota_max_lenders": 10, "rush_within_days": 7,
            "reminder_days_before": 3, "copyright_copies_per_year": 5,
            "copyright_recent_years": 5, "patron_data_retention_days": 90}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_staff_who_are_not_ill_administrators_are_refused(client, home, name, args):
    client.force_login(StaffFactory(library=home))
    assert client.get(reverse(name, args=args)).status_code == 403


def test_staff_who_are_not_administrators_cannot_post_either(client, home):
    client.force_login(StaffFactory(library=home))
    response = client.post(reverse("policies:borrowing"), borrowing_data(due_date_buffer_days=5))
    assert response.status_code == 403
    assert not LibraryPolicy.objects.exists()


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_an_ill_administrator_opens_every_policy_page(admin_client, name, args):
    response = admin_client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert b"Policies" in response.content or b"E-mail" in response.content


def test_the_staff_menu_links_to_the_policies_for_administrators_only(client, admin_client, home):
    assert reverse("policies:borrowing").encode() in admin_client.get(reverse("policies:lending")).content
    client.force_login(StaffFactory(library=home))
    assert reverse("policies:borrowing").encode() not in client.get(reverse("home")).content


def test_the_borrowing_form_shows_the_installations_defaults_before_any_change(admin_client, settings):
    settings.ILLMS_DUE_DATE_BUFFER_DAYS = 4
    response = admin_client.get(reverse("policies:borrowing"))
    assert response.context["form"]["due_date_buffer_days"].value() == 4


def test_saving_the_borrowing_form_changes_the_librarys_policy_and_records_who(admin_client, admin, home):
    response = admin_client.post(reverse("policies:borrowing"),
                                 borrowing_data(due_date_buffer_days=5, category_undergraduate=2), follow=True)
    assert "Borrowing policies saved" in response.content.decode()
    policy = policy_for(home)
    assert (policy.due_date_buffer_days, policy.max_active_requests_for("undergraduate")) == (5, 2)
    assert LibraryPolicy.objects.get(library=home).updated_by == admin
    change = PolicyChange.objects.get(library=home, area="borrowing")
    assert change.changes["due_date_buffer_days"] == [3, 5]
    assert change.changed_by == admin


@pytest.mark.parametrize("bad", [
    {"due_date_buffer_days": -1}, {"due_date_buffer_days": 28}, {"rota_auto_advance_days": 0},
    {"max_active_requests": "many"}, {"category_faculty": -3}, {"patron_data_retention_days": ""},
])
def test_bad_borrowing_input_shows_errors_and_changes_nothing(admin_client, home, bad):
    response = admin_client.post(reverse("policies:borrowing"), borrowing_data(**bad))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "Nothing was saved" in response.content.decode()
    assert not LibraryPolicy.objects.exists()
    assert not PolicyChange.objects.exists()


def test_a_buffer_as_long_as_the_loan_period_is_explained(admin_client):
    response = admin_client.post(reverse("policies:borrowing"), borrowing_data(due_date_buffer_days=30))
    assert "must be shorter than a loan period (28 days)" in response.content.decode()


def test_one_librarys_administrator_changes_only_their_own_library(admin_client, home):
    other = MemberLibraryFactory()
    admin_client.post(reverse("policies:borrowing"), borrowing_data(max_renewals=7))
    assert policy_for(home).max_renewals == 7
    assert policy_for(other).max_renewals == 2
    assert list(LibraryPolicy.objects.values_list("library", flat=True)) == [home.pk]


def test_saving_the_lending_form_updates_the_directory_and_the_policy(admin_client, home):
    response = admin_client.post(reverse("policies:lending"), {
        "lends_loans": "on", "loan_period_days": 21, "max_loans_outstanding": "", "auto_unfill_not_held": "on",
        "edelivery_days": 14, "edelivery_max_downloads": 3})
    assert response.status_code == 302
    home.refresh_from_db()
    assert (home.loan_period_days, home.lends_copies) == (21, False)
    policy = policy_for(home)
    assert (policy.auto_unfill_not_held, policy.edelivery_days, policy.edelivery_max_downloads) == (True, 14, 3)


def test_bad_lending_input_changes_nothing(admin_client, home):
    response = admin_client.post(reverse("policies:lending"), {
        "lends_loans": "on", "loan_period_days": 0, "edelivery_days": -2, "edelivery_max_downloads": 3})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"loan_period_days", "edelivery_days"}
    assert Library.objects.get(pk=home.pk).loan_period_days == 28
    assert not LibraryPolicy.objects.exists()


def test_an_email_preview_with_an_unknown_variable_shows_a_clear_error_and_saves_nothing(admin_client):
    response = admin_client.post(reverse("policies:email-edit", args=["ready-for-pickup"]), {
        "subject": "Ready", "body_text": "Dear {{ patron.nmae }}", "body_html": "", "action": "preview"})
    assert response.status_code == 200
    assert "Unknown variable: {{ patron.nmae }}" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_an_email_with_broken_syntax_is_not_saved(admin_client):
    response = admin_client.post(reverse("policies:email-edit", args=["due-soon"]), {
        "subject": "{% if r.title %}", "body_text": "x", "body_html": "", "action": "save"})
    assert response.status_code == 200
    assert "The template has a mistake" in response.content.decode()
    assert not EmailTemplate.objects.exists()


def test_the_preview_shows_the_email_filled_in_with_sample_values(admin_client):
    response = admin_client.post(reverse("policies:email-edit", args=["ready-for-pickup"]), {
        "subject": "Ready: {{ r.title }}", "body_text": "Dear {{ patron.first_name }}",
        "body_html": "<p>{{ library.name }}</p>", "action": "preview"})
    page = response.content.decode()
    assert "Ready: The Structure of Scientific Revolutions" in page and "Dear Ada" in page
    assert 'sandbox=""' in page
    assert not EmailTemplate.objects.exists()


def test_the_preview_escapes_the_wording_on_the_page(admin_client):
    response = admin_client.post(reverse("policies:email-edit", args=["ready-for-pickup"]), {
        "subject": "Hi", "body_text": "<script>alert(1)</script>", "body_html": '<p title="x">"quoted"</p>',
        "action": "preview"})
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'srcdoc="&lt;p title=&quot;x&quot;&gt;&quot;quoted&quot;&lt;/p&gt;"' in page


def test_saving_an_email_keeps_it_for_the_library_and_resetting_drops_it(admin_client, home):
    url = reverse("policies:email-edit", args=["ready-for-pickup"])
    admin_client.post(url, {"subject": "Come by", "body_text": "Hi {{ patron.first_name }}", "body_html": "",
                            "action": "save"})
    assert EmailTemplate.objects.get(library=home, kind="ready-for-pickup").subject == "Come by"
    admin_client.post(reverse("policies:email-reset", args=["ready-for-pickup"]))
    assert not EmailTemplate.objects.exists()
    assert PolicyChange.objects.filter(library=home, area="e-mail: Ready for pickup").count() == 2


def test_an_unknown_email_kind_is_not_found(admin_client):
    assert admin_client.get(reverse("policies:email-edit", args=["no-such-mail"])).status_code == 404


def test_adding_a_partner_rule_and_refusing_a_second_one_for_the_same_partner(admin_client, home):
    partner = LibraryFactory(symbol="PART")
    data = {"partner": "part", "lends_copies": "on", "max_loans_outstanding": 2, "loan_period_days": "",
            "block_unpaid_after_days": 30, "note": "Slow to return"}
    assert admin_client.post(reverse("partner-rules:list"), data).status_code == 302
    rule = PartnerLendingRule.objects.get(library=home, partner=partner)
    assert (rule.lends_loans, rule.lends_copies, rule.max_loans_outstanding) == (False, True, 2)
    response = admin_client.post(reverse("partner-rules:list"), data)
    assert "PART already has a rule" in response.content.decode()
    assert PartnerLendingRule.objects.count() == 1


def test_a_partner_rule_for_a_symbol_nobody_has_is_refused_naming_it(admin_client):
    response = admin_client.post(reverse("partner-rules:list"), {"partner": "NOPE", "lends_loans": "on"})
    assert response.context["form"].errors["partner"] == ["No partner library has the symbol NOPE."]
    assert not PartnerLendingRule.objects.exists()


def test_a_partner_rule_for_our_own_library_is_refused(admin_client, home):
    response = admin_client.post(reverse("partner-rules:list"), {"partner": home.symbol, "lends_loans": "on"})
    assert "partner" in response.context["form"].errors
    assert not PartnerLendingRule.objects.exists()


def test_editing_a_partner_rule_keeps_its_partner(admin_client, home):
    partner = LibraryFactory(symbol="KEEP")
    rule = PartnerLendingRule.objects.create(library=home, partner=partner, lends_loans=True)
    page = admin_client.get(reverse("partner-rules:edit", args=[rule.pk])).content.decode()
    assert 'value="KEEP"' in page
    response = admin_client.post(reverse("partner-rules:edit", args=[rule.pk]), {
        "partner": "OTHER", "lends_copies": "on", "block_unpaid_after_days": 0})
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.partner, rule.lends_loans, rule.lends_copies) == (partner, False, True)


def test_the_partner_rule_page_does_not_list_the_directory(admin_client):
    symbols = [LibraryFactory().symbol for _ in range(5)]
    page = admin_client.get(reverse("partner-rules:list")).content.decode()
    assert not [symbol for symbol in symbols if symbol in page]


def test_a_partner_rule_with_a_negative_limit_is_refused(admin_client):
    response = admin_client.post(reverse("partner-rules:list"), {
        "partner": LibraryFactory().symbol, "lends_loans": "on", "max_loans_outstanding": -1})
    assert "max_loans_outstanding" in response.context["form"].errors
    assert not PartnerLendingRule.objects.exists()


def test_another_librarys_partner_rule_cannot_be_opened_or_deleted(admin_client):
    theirs = PartnerLendingRule.objects.create(library=MemberLibraryFactory(), partner=LibraryFactory())
    assert admin_client.get(reverse("partner-rules:edit", args=[theirs.pk])).status_code == 404
    assert admin_client.post(reverse("partner-rules:delete", args=[theirs.pk])).status_code == 404
    assert PartnerLendingRule.objects.filter(pk=theirs.pk).exists()


def test_the_history_lists_who_changed_what(admin_client, admin):
    admin_client.post(reverse("policies:borrowing"), borrowing_data(max_renewals=4))
    page = admin_client.get(reverse("policies:history")).content.decode()
    assert "Renewals per loan: 2 → 4" in page and admin.get_full_name() in page


def make_rules_and_changes(home, admin, count: int) -> None:
    for _ in range(count):
        partner = LibraryFactory()
        PartnerLendingRule.objects.create(library=home, partner=partner, updated_by=admin)
        PolicyChange.objects.create(library=home, area="borrowing", changes={"max_renewals": [2, 3]}, changed_by=admin)


@pytest.mark.parametrize("name", ["partner-rules:list", "policies:history", "policies:emails"])
def test_list_pages_take_as_many_queries_for_twenty_rows_as_for_two(admin_client, admin, home, name,
                                                                    django_assert_max_num_queries):
    make_rules_and_changes(home, admin, 2)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(reverse(name))
    make_rules_and_changes(home, admin, 18)
    with django_assert_max_num_queries(len(few)):
        assert admin_client.get(reverse(name)).status_code == 200


def test_the_limit_per_patron_category_names_the_category_as_its_language_writes_it(admin_client,
                                                                                    compiled_translations):
    admin_client.post(reverse("set_language"), {"language": "de", "next": "/"})
    page = admin_client.get(reverse("policies:borrowing")).content.decode()
    assert "Offene Bestellungen: Bachelorstudierende" in page
