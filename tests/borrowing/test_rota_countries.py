"""The rota's country part: the library's preferred countries and regions, with their points and reasons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from borrowing.services import rota
from borrowing.states import BorrowingStatus
from requests_app import roles
from requests_app.models import LibraryPolicy, PolicyChange
from requests_app.policies import policy_for, save_policy
from requests_app.regions import parse_preferences, preference_for
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", country="US", loan_period_days=28)


@pytest.fixture
def lenders():
    """Equal lenders (no catalogue, no history, no fee) in four countries."""
    return {country: LibraryFactory(symbol=f"L{country}", country=country, loan_fee=0)
            for country in ("US", "CA", "DE", "JP")}


def order(home) -> list[str]:
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    return [entry.lender.symbol for entry in rota.build_rota(request=request)]


def reasons_of(home, symbol: str) -> list[str]:
    request = IllRequestFactory(library=home, status=BorrowingStatus.SOURCING, partner=None)
    return next(e.reasons for e in rota.build_rota(request=request) if e.lender.symbol == symbol)


def test_by_default_a_lender_in_our_own_country_comes_first(home, lenders):
    assert order(home)[0] == "LUS"
    assert "in our country (US): +10.0" in reasons_of(home, "LUS")


def test_the_installation_default_comes_from_the_settings(home, lenders, settings):
    settings.ILLMS_ROTA_COUNTRY_PREFERENCES = "own=0,DE=12"
    assert order(home)[0] == "LDE"
    assert "in DE, a preferred country: +12.0" in reasons_of(home, "LDE")


def test_the_librarys_preferred_countries_give_the_documented_order(home, lenders):
    save_policy(library=home, values={"country_preferences": {"own": 10, "CA": 6, "JP": -5}}, actor=None,
                area="test")
    assert order(home) == ["LUS", "LCA", "LDE", "LJP"]


def test_a_preferred_region_counts_for_each_of_its_countries_and_is_named_in_the_reason(home, lenders):
    save_policy(library=home, values={"country_preferences": {"own": 0, "EU": 7}}, actor=None, area="test")
    assert order(home)[0] == "LDE"
    assert "in the European Union (DE), a preferred region (EU): +7.0" in reasons_of(home, "LDE")


def test_when_several_codes_name_a_lenders_country_the_most_precise_counts_not_their_sum():
    preferences = {"own": 10, "EU": 4, "DACH": 6}
    assert preference_for("DE", home_country="DE", preferences=preferences).points == 10.0
    assert preference_for("DE", home_country="DE", preferences={**preferences, "DE": -5}).points == -5.0
    assert preference_for("AT", home_country="DE", preferences=preferences).points == 6.0


def test_a_negative_weight_pushes_a_country_to_the_end(home, lenders):
    save_policy(library=home, values={"country_preferences": {"own": 0, "US": -20}}, actor=None, area="test")
    assert order(home)[-1] == "LUS"
    assert "in US, a less preferred country: −20.0" in reasons_of(home, "LUS")


def test_another_librarys_preferences_do_not_change_our_rota(home, lenders):
    save_policy(library=MemberLibraryFactory(country="US"), values={"country_preferences": {"JP": 30}},
                actor=None, area="test")
    assert order(home)[0] == "LUS"


@pytest.mark.parametrize(("text", "expected"), [
    ("own = 10\nca=5\n# a comment\n\neu: -3", {"own": 10, "CA": 5, "EU": -3}),
    ("", {}),
])
def test_preferences_are_read_from_the_policy_text(text, expected):
    assert parse_preferences(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("Canada = 5", "neither"), ("CA = 500", "between"), ("CA = 5\nca = 6", "named twice"), ("CA five", "Line 1"),
])
def test_a_bad_preference_line_is_refused_with_its_line(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_preferences(text)


@pytest.fixture
def admin_client(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR]))
    return client


def borrowing_data(**overrides) -> dict:
    data = {"due_date_buffer_days": 3, "max_renewals": 2, "max_active_requests": 25, "rota_auto_advance_days": 3,
            "lender_silent_days": 2, "due_soon_days": 7, "rota_max_lenders": 10, "rush_within_days": 7,
            "reminder_days_before": 3, "copyright_copies_per_year": 5,
            "copyright_recent_years": 5, "patron_data_retention_days": 90}
    return {**data, **overrides}


def test_an_administrator_saves_preferred_countries_on_the_borrowing_policy_page(admin_client, home):
    response = admin_client.post(reverse("policies:borrowing"),
                                 borrowing_data(country_preferences_text="own = 8\nNORDIC = 4"), follow=True)
    assert response.status_code == 200
    assert policy_for(home).country_preferences == {"own": 8, "NORDIC": 4}
    assert "own = 8" in admin_client.get(reverse("policies:borrowing")).content.decode()


def test_bad_preferred_countries_show_the_line_and_change_nothing(admin_client, home):
    response = admin_client.post(reverse("policies:borrowing"),
                                 borrowing_data(country_preferences_text="own = 8\nATLANTIS = 4"))
    assert response.status_code == 200
    assert "country_preferences_text" in response.context["form"].errors
    assert "Line 2" in response.content.decode()
    assert not LibraryPolicy.objects.exists()
    assert not PolicyChange.objects.exists()
