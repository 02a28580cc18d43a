"""The large tables' admin lists write their rows as Django's own ``items_for_result`` does, cell for cell, with
the work per column done once per page (``requests_app/utilities/admin_rows.py``)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results
from django.urls import reverse
from django.utils import translation

from borrowing.states import BorrowingStatus
from lending.models import LendingDetail
from requests_app import privacy
from requests_app.admin_lists import LargeTableAdmin
from requests_app.models import EmailStatus, Event, IllRequest, OutgoingEmail, PatronRecordAccess
from requests_app.utilities.admin_rows import rows
from tests.billing.factories import ReceivableFactory
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory, UserFactory
from tests.lending.factories import HoldingFactory

pytestmark = pytest.mark.django_db

LARGE_ADMINS = sorted((model for model, model_admin in admin.site._registry.items()
                       if isinstance(model_admin, LargeTableAdmin)), key=lambda model: model._meta.label)


@pytest.fixture
def superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, superuser, compiled_translations):
    client.force_login(superuser)
    return client


@pytest.fixture
def rows_everywhere(superuser):
    """A few rows in most large tables: requests of both sides (with and without a patron or a partner), their
    events, a lending detail with its holding, a charge, and looks in the access log."""
    library = MemberLibraryFactory(name="Bibliothèque <Zentral> & Co")
    partner = LibraryFactory(name="Partner “Nord”")
    borrowing = IllRequestFactory(library=library, partner=partner, status=BorrowingStatus.SHIPPED,
                                  title='A "quoted" <title> & more')
    IllRequestFactory(library=library, partner=None, status=BorrowingStatus.SUBMITTED, title="")
    lending = LendingRequestFactory(library=library, partner=partner)
    for request in (borrowing, lending):
        Event.objects.create(request=request, action="create", to_status=request.status, actor_kind="system",
                             source="web")
    LendingDetail.objects.create(request=lending, holding=HoldingFactory(library=library))
    ReceivableFactory(request=lending)
    privacy.log_patron_access(superuser, request=borrowing, what="borrowing request detail")
    OutgoingEmail.objects.create(library=library, request=borrowing, kind="ready_for_pickup", key="k-1",
                                 recipient="reader@example.org", subject="Ready <now> & “here”", body_text="x",
                                 status=EmailStatus.FAILED)
    return borrowing


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def the_two_ways(client, url: str, language: str = "en") -> tuple[list[list[str]], list[list[str]]]:
    """The page's rows as Django writes them and as ours do, from the same change list, in ``language``."""
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    cl = response.context["cl"]
    with translation.override(language):
        return [list(row) for row in results(cl)], [list(row) for row in rows(cl)]


@pytest.mark.parametrize("model", LARGE_ADMINS, ids=lambda model: model._meta.label)
def test_every_large_list_writes_its_rows_as_django_does(admin_client, rows_everywhere, model):
    django_rows, ours = the_two_ways(admin_client, changelist(model))
    assert ours == django_rows


@pytest.mark.parametrize("language, borrowing", [("de", "Nehmende Fernleihe"), ("fr", "PEB emprunteur")])
def test_the_rows_are_the_same_in_another_language_with_the_choices_translated(admin_client, rows_everywhere,
                                                                              language, borrowing):
    django_rows, ours = the_two_ways(admin_client, changelist(IllRequest), language)
    assert ours == django_rows
    assert f'<td class="field-role">{borrowing}</td>' in ours[-1]


def test_the_links_keep_the_lists_filters_as_djangos_do(admin_client, rows_everywhere):
    django_rows, ours = the_two_ways(admin_client, changelist(IllRequest) + f"?status={BorrowingStatus.SHIPPED}&o=3")
    assert ours == django_rows
    assert "_changelist_filters=status%3Dshipped%26o%3D3" in ours[0][0]


def test_the_access_logs_rows_are_the_same(admin_client, rows_everywhere):
    django_rows, ours = the_two_ways(admin_client, changelist(PatronRecordAccess))
    assert ours and ours == django_rows


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_list_with_actions_writes_the_same_selection_checkbox(admin_client, rows_everywhere, language):
    django_rows, ours = the_two_ways(admin_client, changelist(OutgoingEmail), language)
    assert ours == django_rows
    assert ours[0][0].startswith('<td class="action-checkbox"><input type="checkbox" name="_selected_action"')


def test_the_large_lists_page_uses_these_rows(admin_client, rows_everywhere):
    response = admin_client.get(changelist(IllRequest))
    assert "admin/large_table_change_list.html" in [template.name for template in response.templates]
    assert f'href="/admin/requests_app/illrequest/{rows_everywhere.pk}/change/' in response.content.decode()
