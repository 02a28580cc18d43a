"""Safe buttons on the borrowing desk and the patron's pages: an action that undoes or ends something asks first
(a confirmation page without JavaScript), and the expected next action comes first."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from borrowing.models import RotaEntry, RotaStatus
from borrowing.states import BorrowingStatus
from borrowing.workflow import WORKFLOW
from requests_app import roles
from requests_app.actors import ActorKind
from requests_app.models import Event, IllRequest
from tests.factories import IllRequestFactory, LibraryFactory, MemberLibraryFactory, PatronFactory, StaffFactory

pytestmark = pytest.mark.django_db

S = BorrowingStatus
CONFIRM_TEMPLATE = "requests_app/confirm.html"

#: Each staff action that asks first, from a state it leaves, with the fields its form needs.
STAFF_ACTIONS = [
    ("cancel", S.SUBMITTED, {}),
    ("cancel_owned_locally", S.SUBMITTED, {"note": "On the shelf at QA76.9"}),
    ("cancel_free_online", S.SUBMITTED, {"note": "https://doi.org/10.1371/journal.pone.0000001"}),
    ("end_rota", S.SOURCING, {}),
    ("reject_conditions", S.CONDITIONAL, {}),
    ("request_cancel", S.SENT, {}),
]


@pytest.fixture
def home():
    return MemberLibraryFactory(symbol="HOME")


@pytest.fixture
def staff(client, home):
    user = StaffFactory(library=home, groups=[roles.BORROWING_STAFF])
    client.force_login(user)
    return user


def post_action(client, request, action, fields, **extra):
    return client.post(
        reverse("borrowing_staff:action", args=[request.pk, action]),
        {"expected_status": request.status, **fields, **extra},
    )


def test_every_action_a_person_takes_that_ends_or_cancels_a_request_asks_first():
    ending = [
        t.action
        for t in WORKFLOW.transitions.values()
        if t.target in (S.CANCELLED, S.END_OF_ROTA) and t.performers & {ActorKind.STAFF, ActorKind.PATRON}
    ]
    assert ending and all(WORKFLOW.transition(action).confirm for action in ending)


@pytest.mark.parametrize(("action", "status", "fields"), STAFF_ACTIONS)
def test_a_staff_action_to_confirm_shows_the_confirmation_page_and_changes_nothing(
    client, staff, home, action, status, fields
):
    request = IllRequestFactory(library=home, status=status)
    response = post_action(client, request, action, fields)
    request.refresh_from_db()
    assert response.status_code == 200 and CONFIRM_TEMPLATE in [t.name for t in response.templates]
    assert escape(str(WORKFLOW.transition(action).confirm)) in response.content.decode()
    assert request.status == status and not Event.objects.filter(request=request).exists()


@pytest.mark.parametrize(("action", "status", "fields"), STAFF_ACTIONS)
def test_a_confirmed_staff_action_is_done(client, staff, home, action, status, fields):
    request = IllRequestFactory(library=home, status=status)
    response = post_action(client, request, action, fields, confirmed="1")
    request.refresh_from_db()
    assert response.status_code == 302
    assert request.status == WORKFLOW.transition(action).target


def test_the_confirmation_page_names_the_request_and_posts_the_same_fields_again_confirmed(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SUBMITTED, title="The Art of Computer Programming")
    response = post_action(client, request, "cancel_owned_locally", {"note": "On the shelf at QA76.9"})
    page = response.content.decode()
    assert request.number in page and "The Art of Computer Programming" in page
    assert 'name="note" value="On the shelf at QA76.9"' in page
    assert 'name="confirmed" value="1"' in page and 'name="expected_status" value="submitted"' in page
    assert f'action="{reverse("borrowing_staff:action", args=[request.pk, "cancel_owned_locally"])}"' in page
    assert f'href="{reverse("borrowing_staff:request", args=[request.pk])}"' in page  # Go back


def test_an_action_with_a_form_error_shows_the_error_before_asking(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SUBMITTED)
    response = post_action(client, request, "cancel_owned_locally", {"note": ""})
    assert response.status_code == 400 and CONFIRM_TEMPLATE not in [t.name for t in response.templates]


def test_a_confirmation_for_a_request_that_changed_meanwhile_is_not_asked(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SOURCING)
    response = client.post(
        reverse("borrowing_staff:action", args=[request.pk, "cancel"]), {"expected_status": S.SUBMITTED}
    )
    request.refresh_from_db()
    assert response.status_code == 302 and request.status == S.SOURCING


def test_an_action_without_consequences_to_confirm_runs_at_once(client, staff, home):
    request = IllRequestFactory(library=home, status=S.RECEIVED)
    response = post_action(client, request, "notify_patron", {})
    request.refresh_from_db()
    assert response.status_code == 302 and request.status == S.READY_FOR_PICKUP


def test_the_request_page_marks_the_forms_that_ask_first(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SUBMITTED)
    page = client.get(reverse("borrowing_staff:request", args=[request.pk])).content.decode()
    assert f'data-confirm="{escape(str(WORKFLOW.transition("cancel").confirm))}"' in page


def test_sending_with_no_lender_left_asks_before_ending_the_rota(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SOURCING, partner=None)
    response = client.post(reverse("borrowing_staff:rota", args=[request.pk, "send"]))
    request.refresh_from_db()
    confirm = escape(str(WORKFLOW.transition("end_rota").confirm))
    assert response.status_code == 200 and confirm in response.content.decode()
    assert request.status == S.SOURCING


def test_sending_with_no_lender_left_ends_the_rota_once_confirmed(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SOURCING, partner=None)
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "send"]), {"confirmed": "1"})
    request.refresh_from_db()
    assert request.status == S.END_OF_ROTA


def test_sending_to_a_waiting_lender_asks_nothing(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SOURCING, partner=None)
    RotaEntry.objects.create(request=request, lender=LibraryFactory(), position=1, status=RotaStatus.PENDING)
    client.post(reverse("borrowing_staff:rota", args=[request.pk, "send"]))
    request.refresh_from_db()
    assert request.status == S.SENT


# Bulk actions --------------------------------------------------------------------------------


def test_bulk_cancel_lists_the_requests_it_will_cancel_and_changes_nothing(client, staff, home):
    first, second = IllRequestFactory.create_batch(2, library=home, status=S.SUBMITTED)
    shipped = IllRequestFactory(library=home, status=S.SHIPPED)
    response = client.post(
        reverse("borrowing_staff:bulk"), {"action": "cancel", "requests": [first.pk, second.pk, shipped.pk]}
    )
    rows = response.context["requests"]
    assert [(r["request"].number, bool(r["refusal"])) for r in rows] == [
        (first.number, False),
        (second.number, False),
        (shipped.number, True),
    ]
    assert set(IllRequest.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        S.SUBMITTED
    }


def test_bulk_cancel_lists_no_other_librarys_request(client, staff, home):
    other = IllRequestFactory(status=S.SUBMITTED)
    mine = IllRequestFactory(library=home, status=S.SUBMITTED)
    response = client.post(reverse("borrowing_staff:bulk"), {"action": "cancel", "requests": [mine.pk, other.pk]})
    assert [r["request"].pk for r in response.context["requests"]] == [mine.pk]
    listed = response.content.decode().split('id="confirm-requests"', 1)[1].split("</ul>", 1)[0]
    assert f"<strong>{other.number}</strong>" not in listed


def test_bulk_cancel_confirmation_reposts_only_the_librarys_own_requests(client, staff, home):
    other = IllRequestFactory(status=S.SUBMITTED)
    mine = IllRequestFactory(library=home, status=S.SUBMITTED)
    response = client.post(reverse("borrowing_staff:bulk"), {"action": "cancel", "requests": [mine.pk, other.pk]})
    reposted = [value for name, value in response.context["fields"] if name == "requests"]
    assert reposted == [str(mine.pk)]


def test_a_confirmed_bulk_cancel_cancels_the_ticked_requests(client, staff, home):
    first, second = IllRequestFactory.create_batch(2, library=home, status=S.SUBMITTED)
    client.post(
        reverse("borrowing_staff:bulk"), {"action": "cancel", "requests": [first.pk, second.pk], "confirmed": "1"}
    )
    assert set(IllRequest.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)) == {
        S.CANCELLED
    }


def test_the_bulk_confirmation_page_reposts_every_ticked_request(client, staff, home):
    first, second = IllRequestFactory.create_batch(2, library=home, status=S.SUBMITTED)
    page = client.post(
        reverse("borrowing_staff:bulk"), {"action": "cancel", "requests": [first.pk, second.pk]}
    ).content.decode()
    assert f'name="requests" value="{first.pk}"' in page and f'name="requests" value="{second.pk}"' in page


def test_the_bulk_menu_marks_the_actions_that_ask_first(client, staff, home):
    IllRequestFactory(library=home, status=S.SUBMITTED)
    page = client.get(reverse("borrowing_staff:queue"), {"status": S.SUBMITTED}).content.decode()
    assert f'<option value="cancel" data-confirm="{escape(str(WORKFLOW.transition("cancel").confirm))}">' in page


# The patron ----------------------------------------------------------------------------------


@pytest.fixture
def patron(client):
    user = PatronFactory()
    client.force_login(user)
    return user


@pytest.mark.parametrize(("action", "status"), [("cancel", S.SUBMITTED), ("request_cancel", S.SENT)])
def test_a_patron_cancel_shows_the_confirmation_page_and_changes_nothing(client, patron, action, status):
    request = IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=status)
    response = client.post(reverse("patron-request-action", args=[request.pk, action]), {"expected_status": status})
    request.refresh_from_db()
    assert response.status_code == 200 and escape(str(WORKFLOW.transition(action).confirm)) in response.content.decode()
    assert request.status == status


@pytest.mark.parametrize(("action", "status"), [("cancel", S.SUBMITTED), ("request_cancel", S.SENT)])
def test_a_confirmed_patron_cancel_is_done(client, patron, action, status):
    request = IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=status)
    client.post(
        reverse("patron-request-action", args=[request.pk, action]), {"expected_status": status, "confirmed": "1"}
    )
    request.refresh_from_db()
    assert request.status == WORKFLOW.transition(action).target


def test_a_patron_is_not_asked_to_confirm_on_another_patrons_request(client, patron):
    request = IllRequestFactory(status=S.SUBMITTED)
    response = client.post(reverse("patron-request-action", args=[request.pk, "cancel"]))
    assert response.status_code == 404


def test_a_patron_is_not_asked_to_confirm_an_action_not_open_to_them(client, patron):
    request = IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=S.SUBMITTED)
    response = client.post(reverse("patron-request-action", args=[request.pk, "end_rota"]))
    request.refresh_from_db()
    assert response.status_code == 302 and request.status == S.SUBMITTED


# Order ---------------------------------------------------------------------------------------


def test_the_staff_desk_offers_the_expected_next_action_first_and_cancelling_last(client, staff, home):
    request = IllRequestFactory(library=home, status=S.SUBMITTED)
    actions = [
        a["transition"].action
        for a in client.get(reverse("borrowing_staff:request", args=[request.pk])).context["actions"]
    ]
    assert actions[0] == "verify" and set(actions[-3:]) == {"cancel_owned_locally", "cancel_free_online", "cancel"}


def test_a_patron_sees_accepting_conditions_before_refusing_them(client, patron):
    request = IllRequestFactory(patron=patron, library=patron.patron_profile.library, status=S.CONDITIONAL)
    actions = [t.action for t in client.get(reverse("patron-request", args=[request.pk])).context["actions"]]
    assert actions.index("accept_conditions") < actions.index("reject_conditions")
