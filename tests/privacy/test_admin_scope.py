"""The Django admin, as the ILL administrator of one of two member libraries uses it.

They see and choose only their library's rows, manage their library's staff accounts within the member
library's roles, edit their own library's address and contact, and never change their own library, their
own rights, or anything of the other library. (The walk over every table is in ``test_role_boundaries``.)
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from billing.models import Budget, Charge
from lending.models import LendingDetail
from requests_app import roles
from requests_app.admin_scope import NO_LIBRARY_MESSAGE
from requests_app.models import (
    IllRequest,
    InboundMessage,
    Library,
    PartnerApiKey,
    PatronProfile,
    PatronRecordAccess,
    StaffProfile,
)
from tests.factories import LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory, UserFactory

from .admin_rows import rows_of

User = get_user_model()


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def ours(db):
    return rows_of(MemberLibraryFactory(symbol="OURS"))


@pytest.fixture
def theirs(db):
    return rows_of(MemberLibraryFactory(symbol="THEIRS"))


@pytest.fixture
def administrator(ours):
    return StaffFactory(library=ours[Library], groups=[roles.ILL_ADMINISTRATOR], is_staff=True)


@pytest.fixture
def as_administrator(client, administrator):
    client.force_login(administrator)
    return client


def form_data(response) -> dict:
    """What the change form would post back as it stands: its fields and its inlines' management forms."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for bound in form:
            value = bound.value()
            if value is None or value is False or isinstance(value, FieldFile):
                continue  # an unticked box, or a file the form keeps when none is posted
            if value is True:
                value = "on"
            elif isinstance(value, (list, tuple)):
                value = [str(v) for v in value]
            elif isinstance(value, (dict,)):
                value = json.dumps(value)
            elif isinstance(value, dt.datetime):  # the admin's two boxes, date and time
                value = timezone.localtime(value)
                data[f"{bound.html_name}_0"], data[f"{bound.html_name}_1"] = str(value.date()), str(value.time())
                continue
            data[bound.html_name] = value
    return data


def errors(response) -> dict:
    return response.context["adminform"].form.errors if response.context else {}


# Rows and choices of the other library ------------------------------------------------------------

def test_the_administrator_cannot_post_the_other_librarys_id_as_a_rows_library(as_administrator, theirs):
    response = as_administrator.post(admin_url(Budget, "add"), {
        "library": theirs[Library].pk, "fiscal_year": "FY2027", "starts_on": "2027-01-01", "ends_on": "2027-12-31",
        "amount": "500", "currency": "USD"})

    assert response.status_code == 200
    assert "library" in errors(response)
    assert not Budget.objects.filter(fiscal_year="FY2027").exists()


def test_the_administrator_cannot_post_the_other_librarys_patron_on_their_request(as_administrator, ours, theirs):
    request = ours[IllRequest]
    url = admin_url(IllRequest, "change", request.pk)
    data = form_data(as_administrator.get(url))

    response = as_administrator.post(url, {**data, "patron": theirs[User].pk})

    assert "patron" in errors(response)
    request.refresh_from_db()
    assert request.patron_id == ours[User].pk


def test_the_other_librarys_patron_in_a_raw_id_box_shows_no_name(as_administrator, ours, theirs):
    url = admin_url(IllRequest, "change", ours[IllRequest].pk)
    data = form_data(as_administrator.get(url))

    response = as_administrator.post(url, {**data, "patron": theirs[User].pk})

    assert theirs[User].username not in response.content.decode()


#: Foreign keys to the directory that name the partner on the other side: any library may be one.
PARTNER_FIELDS = {"partner", "lender", "recipient", "actor_library", "author_library"}


def test_the_administrator_cannot_post_the_other_librarys_row_in_any_foreign_key(client, ours, theirs):
    """Even holding every permission, a member library's staff member saves no row pointing to another's."""
    everything = Group.objects.create(name="Every permission")
    everything.permissions.set(Permission.objects.all())
    staff = StaffFactory(library=ours[Library], groups=["Every permission"], is_staff=True)
    client.force_login(staff)
    tried, saved = [], []
    for model, row in ours.items():
        url = admin_url(model, "change", row.pk)
        response = client.get(url)
        if response.status_code != 200 or not response.context.get("has_change_permission"):
            continue
        form = response.context["adminform"].form
        data = form_data(response)
        if model is PartnerApiKey:
            continue  # partners' keys: every permission makes a directory administrator, who keeps them all
        for name, field in form.fields.items():
            other = theirs.get(getattr(getattr(field, "queryset", None), "model", None))
            if other is None or (other.__class__ is Library and (name in PARTNER_FIELDS
                                                                 or (model, name) == (InboundMessage, "sender"))):
                continue  # not a foreign key, or a partner (any library of the directory may be one)
            tried.append(f"{model._meta.label}.{name}")
            before = model.objects.filter(pk=row.pk).values(name).get()
            answer = client.post(url, {**data, name: other.pk})
            if answer.status_code != 200 or name not in errors(answer) or \
                    model.objects.filter(pk=row.pk).values(name).get() != before:
                saved.append(f"{model._meta.label}.{name}")
    assert saved == [], "\n".join(saved)
    assert len(tried) > 10  # the walk found the foreign keys, not nothing


def test_the_patron_look_up_offers_only_the_administrators_library(as_administrator, ours, theirs):
    response = as_administrator.get(reverse("admin:autocomplete"), {
        "app_label": "requests_app", "model_name": "patronprofile", "field_name": "user", "term": ""})

    offered = {int(result["id"]) for result in response.json()["results"]}
    assert ours[User].pk in offered
    assert theirs[User].pk not in offered


def test_a_partner_look_up_offers_the_whole_directory(as_administrator, theirs):
    partner = LibraryFactory(symbol="FARAWAY")

    response = as_administrator.get(reverse("admin:autocomplete"), {
        "app_label": "billing", "model_name": "feeschedule", "field_name": "partner", "term": ""})

    offered = {int(result["id"]) for result in response.json()["results"]}
    assert {partner.pk, theirs[Library].pk} <= offered


def test_the_library_filter_is_not_offered_to_a_member_librarys_staff(as_administrator, theirs):
    response = as_administrator.get(admin_url(PatronProfile, "changelist"))

    assert "library" not in [getattr(spec, "field_path", None) for spec in response.context["cl"].filter_specs]
    assert "THEIRS" not in response.content.decode()


def test_staff_without_a_member_library_see_no_rows_and_are_told_why(client, ours):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=roles.ILL_ADMINISTRATOR))
    client.force_login(user)

    response = client.get(admin_url(IllRequest, "changelist"), follow=True)

    assert list(response.context["cl"].result_list) == []
    assert NO_LIBRARY_MESSAGE in [str(m) for m in response.context["messages"]]


# Their own library, their own account -------------------------------------------------------------

def test_the_administrator_cannot_move_their_own_staff_profile_to_another_library(as_administrator, administrator,
                                                                                   theirs):
    profile = administrator.staff_profile

    response = as_administrator.post(admin_url(StaffProfile, "change", profile.pk),
                                     {"user": administrator.pk, "library": theirs[Library].pk})

    assert response.status_code == 403
    profile.refresh_from_db()
    assert profile.library.symbol == "OURS"


def test_not_even_a_superuser_gives_their_own_account_a_library(client, ours):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)

    response = client.post(admin_url(StaffProfile, "add"), {"user": superuser.pk, "library": ours[Library].pk})

    assert "user" in errors(response)
    assert not StaffProfile.objects.filter(user=superuser).exists()


def test_the_administrator_cannot_change_their_own_groups(as_administrator, administrator):
    url = admin_url(User, "change", administrator.pk)
    data = form_data(as_administrator.get(url))
    reporting = Group.objects.get(name=roles.REPORTING)

    as_administrator.post(url, {**data, "groups": [reporting.pk], "is_staff": ""})

    administrator.refresh_from_db()
    assert list(administrator.groups.values_list("name", flat=True)) == [roles.ILL_ADMINISTRATOR]
    assert administrator.is_staff


def test_the_administrator_cannot_grant_superuser_or_raw_permissions(as_administrator, ours):
    colleague = StaffFactory(library=ours[Library], groups=[roles.BORROWING_STAFF])
    url = admin_url(User, "change", colleague.pk)
    data = form_data(as_administrator.get(url))
    permission = Permission.objects.get(codename="change_library")

    response = as_administrator.post(url, {**data, "is_superuser": "on", "user_permissions": [permission.pk]})

    assert response.status_code == 302, errors(response)
    colleague.refresh_from_db()
    assert not colleague.is_superuser
    assert not colleague.user_permissions.exists()


def test_the_administrator_gives_their_staff_member_library_roles_only(as_administrator, ours):
    colleague = StaffFactory(library=ours[Library], groups=[roles.BORROWING_STAFF])
    response = as_administrator.get(admin_url(User, "change", colleague.pk))

    offered = set(response.context["adminform"].form.fields["groups"].queryset.values_list("name", flat=True))

    assert offered == set(roles.MEMBER_LIBRARY_ROLES)


def test_the_administrator_deactivates_a_staff_member_of_their_library(as_administrator, ours):
    colleague = StaffFactory(library=ours[Library], groups=[roles.LENDING_STAFF])
    url = admin_url(User, "change", colleague.pk)
    data = form_data(as_administrator.get(url))
    data.pop("is_active")

    response = as_administrator.post(url, data)
    assert response.status_code == 302, errors(response)
    colleague.refresh_from_db()
    assert not colleague.is_active


def test_a_staff_account_the_administrator_creates_works_for_their_library(as_administrator, ours):
    response = as_administrator.post(admin_url(User, "add"), {
        "username": "newdesk", "usable_password": "true", "password1": "a long and fine pass phrase",
        "password2": "a long and fine pass phrase"})

    assert response.status_code == 302
    assert StaffProfile.objects.get(user__username="newdesk").library == ours[Library]


def test_the_user_list_shows_only_the_administrators_librarys_accounts(as_administrator, ours, theirs):
    UserFactory(username="nobodys")

    response = as_administrator.get(admin_url(User, "changelist"))

    shown = {user.username for user in response.context["cl"].result_list}
    assert ours[User].username in shown
    assert theirs[User].username not in shown
    assert "nobodys" not in shown


@pytest.mark.parametrize("powers", ["superuser", "directory administrator", "raw permission"])
def test_the_administrator_cannot_take_over_an_account_with_more_rights_than_a_member_library_gives(
        as_administrator, ours, powers):
    account = StaffFactory(library=ours[Library], groups=[roles.BORROWING_STAFF])
    if powers == "superuser":
        account.is_superuser = True
        account.save()
    elif powers == "directory administrator":
        roles.sync_roles()
        account.groups.add(Group.objects.get(name=roles.DIRECTORY_ADMINISTRATOR))
    else:
        account.user_permissions.add(Permission.objects.get(codename="change_library"))

    assert as_administrator.get(admin_url(User, "change", account.pk)).context["has_change_permission"] is False
    assert as_administrator.post(reverse("admin:auth_user_password_change", args=[account.pk]),
                                 {"password1": "taken over 12345", "password2": "taken over 12345"}
                                 ).status_code == 403


def test_the_administrator_cannot_change_a_patron_of_theirs_who_works_for_the_other_library(
        as_administrator, ours, theirs):
    account = StaffFactory(library=theirs[Library], groups=[roles.BORROWING_STAFF])
    PatronProfile.objects.create(user=account, library=ours[Library], card_barcode="2999")

    assert as_administrator.get(admin_url(User, "change", account.pk)).context["has_change_permission"] is False


# The directory ------------------------------------------------------------------------------------

def test_the_administrator_edits_their_own_librarys_contact_but_not_its_symbol(as_administrator, ours):
    library = ours[Library]
    url = admin_url(Library, "change", library.pk)
    data = form_data(as_administrator.get(url))

    response = as_administrator.post(url, {**data, "phone": "+1 555 0100", "symbol": "MINE", "is_member": ""})

    assert response.status_code == 302
    library.refresh_from_db()
    assert (library.phone, library.symbol, library.is_member) == ("+1 555 0100", "OURS", True)


def test_the_administrator_adds_no_library_to_the_directory(as_administrator):
    response = as_administrator.post(admin_url(Library, "add"), {"symbol": "NEW", "name": "New library",
                                                                 "agency_id_value": "NEW"})

    assert response.status_code == 403
    assert not Library.objects.filter(symbol="NEW").exists()


def test_a_directory_administrator_edits_every_library_and_no_member_librarys_rows(client, ours, theirs):
    roles.sync_roles()
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name=roles.DIRECTORY_ADMINISTRATOR))
    client.force_login(editor)

    listed = {row.pk for row in client.get(admin_url(Library, "changelist")).context["cl"].result_list}

    assert {ours[Library].pk, theirs[Library].pk} <= listed
    assert client.get(admin_url(Library, "change", theirs[Library].pk)).context["has_change_permission"]
    assert client.get(admin_url(IllRequest, "changelist")).status_code == 403


def test_the_ill_administrator_role_holds_no_right_over_the_directory(db):
    codes = set(Group.objects.get(name=roles.ILL_ADMINISTRATOR).permissions.values_list("codename", flat=True))

    assert not codes & {"add_library", "change_library", "delete_library"}
    assert {"view_user", "add_user", "change_user"} <= codes


def test_the_directory_administrator_role_holds_the_directory(db):
    codes = set(Group.objects.get(name=roles.DIRECTORY_ADMINISTRATOR).permissions.values_list("codename", flat=True))

    assert {"add_library", "change_library", "change_pickuplocation", "add_partnerapikey"} <= codes


# The access log -----------------------------------------------------------------------------------

@pytest.mark.parametrize("model", [IllRequest, PatronProfile, User, Charge], ids=lambda m: m.__name__)
def test_opening_a_row_that_shows_a_patron_writes_the_access_log(as_administrator, administrator, ours, model):
    assert as_administrator.get(admin_url(model, "change", ours[model].pk)).status_code == 200

    look = PatronRecordAccess.objects.filter(staff=administrator).latest("pk")
    assert look.patron_id == ours[User].pk
    assert look.what.startswith("admin ")


def test_a_page_the_administrator_may_not_open_writes_no_access_log(as_administrator, administrator, ours):
    before = PatronRecordAccess.objects.filter(staff=administrator).count()

    assert as_administrator.get(admin_url(PatronRecordAccess, "change", ours[PatronRecordAccess].pk)
                                ).status_code == 403

    assert PatronRecordAccess.objects.filter(staff=administrator).count() == before


@pytest.mark.parametrize("model", [Charge, PatronRecordAccess], ids=lambda m: m.__name__)
def test_a_superuser_opening_a_charge_or_the_access_log_writes_the_access_log(client, ours, model):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)

    assert client.get(admin_url(model, "change", ours[model].pk)).status_code == 200

    look = PatronRecordAccess.objects.get(staff=superuser)
    assert (look.patron_id, look.request_id) == (ours[User].pk, ours[IllRequest].pk)


def test_opening_a_lending_row_writes_no_access_log(client, ours):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)

    assert client.get(admin_url(LendingDetail, "change", ours[LendingDetail].pk)).status_code == 200

    assert not PatronRecordAccess.objects.filter(staff=superuser).exists()


def test_a_patron_is_not_a_member_of_the_admin(client, ours):
    client.force_login(PatronFactory(profile__library=ours[Library]))

    assert client.get(admin_url(IllRequest, "changelist")).status_code == 302
