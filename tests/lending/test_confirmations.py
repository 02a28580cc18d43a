"""Safe buttons on the lending desk: “cannot supply”, a recall and a refusal of our conditions ask first (a
confirmation page without JavaScript), no reason is chosen for the clerk, and the expected next action comes first."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from lending.states import LendingStatus
from lending.workflow import WORKFLOW
from requests_app.models import Event, OutboxMessage, RequestFormat, ServiceType
from tests.lending.factories import IncomingRequestFactory

S = LendingStatus
CONFIRM_TEMPLATE = "requests_app/confirm.html"

#: Each lending action that asks first, from a state it leaves, with the fields its form needs.
ACTIONS = [
    ("unfill", S.NEW, {"unfill-reason": "NotOnShelf"}),
    ("unfill", S.AWAITING_SHIPPING, {"unfill-reason": "NotOnShelf"}),
    ("recall", S.SHIPPED, {}),
    ("borrower_rejected_conditions", S.CONDITIONAL, {}),
]


def post_action(client, request, action, fields, **extra):
    return client.post(
        f"/lending/requests/{request.pk}/actions/{action}/", {"expected_status": request.status, **fields, **extra}
    )


def page_actions(client, request) -> list[str]:
    return [a["transition"].action for a in client.get(f"/lending/requests/{request.pk}/").context["actions"]]


@pytest.mark.parametrize(("action", "status", "fields"), ACTIONS)
def test_a_lending_action_to_confirm_shows_the_confirmation_page_and_changes_nothing(
    staff_client, library, action, status, fields
):
    request = IncomingRequestFactory(library=library, status=status)
    response = post_action(staff_client, request, action, fields)
    request.refresh_from_db()
    assert response.status_code == 200 and CONFIRM_TEMPLATE in [t.name for t in response.templates]
    assert escape(str(WORKFLOW.transition(action).confirm)) in response.content.decode()
    assert request.status == status and not Event.objects.filter(request=request).exists()
    assert not OutboxMessage.objects.filter(request=request).exists()


@pytest.mark.parametrize(("action", "status", "fields"), ACTIONS)
def test_a_confirmed_lending_action_is_done(staff_client, library, action, status, fields):
    request = IncomingRequestFactory(library=library, status=status)
    response = post_action(staff_client, request, action, fields, confirmed="1")
    request.refresh_from_db()
    assert response.status_code == 302 and request.status == WORKFLOW.transition(action).target


def test_the_cannot_supply_confirmation_says_which_reason_will_be_sent(staff_client, library):
    request = IncomingRequestFactory(library=library)
    page = post_action(staff_client, request, "unfill", {"unfill-reason": "NotOnShelf"}).content.decode()
    assert "Not on shelf" in page and 'name="unfill-reason" value="NotOnShelf"' in page


def test_the_cannot_supply_reason_has_no_answer_chosen(staff_client, library):
    request = IncomingRequestFactory(library=library)
    form = next(
        a["form"]
        for a in staff_client.get(f"/lending/requests/{request.pk}/").context["actions"]
        if a["transition"].action == "unfill"
    )
    select = str(form["reason"])
    assert form.fields["reason"].required and form["reason"].value() in (None, "")
    assert '<option value="" selected>Choose a reason</option>' in select and select.count("selected") == 1


def test_cannot_supply_without_a_reason_is_an_error_and_changes_nothing(staff_client, library):
    request = IncomingRequestFactory(library=library)
    response = post_action(staff_client, request, "unfill", {"unfill-reason": ""}, confirmed="1")
    request.refresh_from_db()
    assert response.status_code == 400 and response.context["actions"]
    form = next(a["form"] for a in response.context["actions"] if a["transition"].action == "unfill")
    assert "reason" in form.errors and request.status == S.NEW


def test_a_new_request_offers_will_supply_and_conditions_before_cannot_supply(staff_client, library):
    actions = page_actions(staff_client, IncomingRequestFactory(library=library))
    assert actions[-1] == "unfill"
    assert actions.index("will_supply") < actions.index("unfill")
    assert actions.index("offer_conditions") < actions.index("unfill")


def test_a_promised_loan_offers_ship_first_and_cannot_supply_last(staff_client, library):
    request = IncomingRequestFactory(
        library=library, status=S.AWAITING_SHIPPING, format=RequestFormat.BOOK, service_type=ServiceType.LOAN
    )
    actions = page_actions(staff_client, request)
    assert actions[0] == "ship" and actions[-1] == "unfill"


def test_the_first_action_of_the_page_is_the_one_opened(staff_client, library):
    request = IncomingRequestFactory(
        library=library, status=S.AWAITING_SHIPPING, format=RequestFormat.BOOK, service_type=ServiceType.LOAN
    )
    page = staff_client.get(f"/lending/requests/{request.pk}/").content.decode()
    assert page.index('<details class="mb-2 border rounded p-2" open>\n      <summary>Ship</summary>') > 0


def test_the_request_page_marks_cannot_supply_as_asking_first(staff_client, library):
    request = IncomingRequestFactory(library=library)
    page = staff_client.get(f"/lending/requests/{request.pk}/").content.decode()
    assert f'data-confirm="{escape(str(WORKFLOW.transition("unfill").confirm))}"' in page
