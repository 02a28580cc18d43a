"""Purchase rules and vendors under Policies: the ILL administrator's own, validated, every change recorded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from borrowing.models import PurchaseRule, PurchaseVendor
from requests_app import roles
from requests_app.models import PolicyChange
from tests.factories import MemberLibraryFactory, StaffFactory

pytestmark = pytest.mark.django_db

RULE = {"name": "Recent books", "active": "on", "formats": ["book"], "published_within_years": "3",
        "max_price": "60.00", "currency": "eur", "patron_categories": ["faculty", "graduate"],
        "exclude_theses": "on", "fund": "Monographs"}
VENDOR = {"name": "Dawson Books", "order_email": "orders@dawson.example", "account_number": "ACC-77",
          "customer_id": "CUST-1", "currency": "gbp", "api_base_url": "", "active": "on"}


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME", currency="EUR")


@pytest.fixture
def admin_client(client, home):
    client.force_login(StaffFactory(library=home, groups=[roles.ILL_ADMINISTRATOR]))
    return client


def test_an_administrator_adds_a_purchase_rule_and_the_change_is_recorded(admin_client, home):
    answer = admin_client.post(reverse("purchasing:rules"), RULE)
    assert answer.status_code == 302
    rule = PurchaseRule.objects.get(library=home)
    assert (rule.formats, rule.published_within_years, rule.max_price, rule.currency, rule.patron_categories) == (
        ["book"], 3, Decimal("60.00"), "EUR", ["faculty", "graduate"])
    assert PolicyChange.objects.get(library=home).area == "purchase rule Recent books"
    page = admin_client.get(reverse("purchasing:rules")).content.decode()
    assert "Recent books" in page and "Faculty, Graduate student" in page


@pytest.mark.parametrize(("change", "field"), [
    ({"name": " "}, "name"),
    ({"currency": ""}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"max_price": "", "currency": "EUR"}, "max_price"),
    ({"max_price": "-1"}, "max_price"),
    ({"max_price": "abc"}, "max_price"),
    ({"published_within_years": "0"}, "published_within_years"),
    ({"published_within_years": "99999999999"}, "published_within_years"),
    ({"formats": ["vinyl"]}, "formats"),
    ({"patron_categories": ["alien"]}, "patron_categories"),
    ({"formats": ["thesis"]}, "formats"),
])
def test_a_bad_rule_saves_nothing_and_says_where(admin_client, home, change, field):
    answer = admin_client.post(reverse("purchasing:rules"), {**RULE, **change})
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert not PurchaseRule.objects.exists() and not PolicyChange.objects.exists()


def test_a_second_rule_with_the_same_name_is_refused(admin_client, home):
    PurchaseRule.objects.create(library=home, name="Recent books")
    answer = admin_client.post(reverse("purchasing:rules"), RULE)
    assert answer.status_code == 400
    assert PurchaseRule.objects.count() == 1


def test_a_rule_is_disabled_by_editing_it(admin_client, home):
    rule = PurchaseRule.objects.create(library=home, name="Recent books")
    admin_client.post(reverse("purchasing:rule", args=[rule.pk]), {**RULE, "active": ""})
    rule.refresh_from_db()
    assert rule.active is False
    assert PolicyChange.objects.get().changes["active"] == [True, False]


def test_another_librarys_rule_is_not_found(admin_client):
    elsewhere = PurchaseRule.objects.create(library=MemberLibraryFactory(), name="Theirs")
    assert admin_client.get(reverse("purchasing:rule", args=[elsewhere.pk])).status_code == 404
    assert admin_client.post(reverse("purchasing:rule", args=[elsewhere.pk]), RULE).status_code == 404
    assert admin_client.post(reverse("purchasing:rule-delete", args=[elsewhere.pk])).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Theirs"


def test_a_rule_is_deleted_and_the_deletion_recorded(admin_client, home):
    rule = PurchaseRule.objects.create(library=home, name="Old rule")
    admin_client.post(reverse("purchasing:rule-delete", args=[rule.pk]))
    assert not PurchaseRule.objects.exists()
    assert PolicyChange.objects.get().changes == {"rule": ["Old rule", "deleted"]}


def test_an_administrator_adds_a_vendor(admin_client, home):
    answer = admin_client.post(reverse("purchasing:vendors"), VENDOR)
    assert answer.status_code == 302
    vendor = PurchaseVendor.objects.get(library=home)
    assert (vendor.name, vendor.order_email, vendor.currency, vendor.customer_id) == (
        "Dawson Books", "orders@dawson.example", "GBP", "CUST-1")


@pytest.mark.parametrize(("change", "field"), [
    ({"order_email": "not an address"}, "order_email"),
    ({"order_email": ""}, "order_email"),
    ({"currency": ""}, "currency"),
    ({"currency": "1AB"}, "currency"),
    ({"api_base_url": "ftp://vendor.example/api"}, "api_base_url"),
    ({"api_base_url": "javascript:alert(1)"}, "api_base_url"),
    ({"name": ""}, "name"),
])
def test_a_bad_vendor_saves_nothing_and_says_where(admin_client, change, field):
    answer = admin_client.post(reverse("purchasing:vendors"), {**VENDOR, **change})
    assert answer.status_code == 400
    assert field in answer.context["form"].errors
    assert not PurchaseVendor.objects.exists() and not PolicyChange.objects.exists()


def test_another_librarys_vendor_is_not_found(admin_client):
    elsewhere = PurchaseVendor.objects.create(library=MemberLibraryFactory(), name="Far", order_email="o@far.example",
                                              currency="EUR")
    assert admin_client.get(reverse("purchasing:vendor", args=[elsewhere.pk])).status_code == 404
    assert admin_client.post(reverse("purchasing:vendor", args=[elsewhere.pk]), VENDOR).status_code == 404
    elsewhere.refresh_from_db()
    assert elsewhere.name == "Far"


def test_borrowing_staff_cannot_open_the_purchase_policies(client, home):
    client.force_login(StaffFactory(library=home))
    assert client.get(reverse("purchasing:rules")).status_code == 403
    assert client.post(reverse("purchasing:vendors"), VENDOR).status_code == 403
    assert not PurchaseVendor.objects.exists()
