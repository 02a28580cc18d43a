"""GET /api/v1/requests/{id}/: one request, the actions the caller may perform, and its history."""

import pytest

from borrowing.states import BorrowingStatus
from requests_app.actors import ActorKind
from requests_app.models import Event, EventSource
from requests_app.services import perform
from requests_app.workflow import Actor

from .contracts import AuthenticationContract, PartnerIsolationContract

pytestmark = pytest.mark.django_db


class TestRequestDetail(AuthenticationContract, PartnerIsolationContract):
    def url(self, world):
        return f"/api/v1/requests/{world.lending_a.pk}/"

    def test_a_partner_reads_the_citation_status_sides_and_ids(self, world):
        body = world.partner_a_client().get(self.url(world)).json()
        assert body["id"] == world.lending_a.pk
        assert body["title"] == world.lending_a.title
        assert (body["status"], body["status_label"]) == (BorrowingStatus.SHIPPED, "Shipped")
        assert (body["role"], body["library"], body["partner"]) == ("lending", "OURS", "PA")
        assert body["requesting_agency_request_id"] == world.lending_a.requesting_agency_request_id
        assert body["due_date"] == world.lending_a.due_date.isoformat()

    def test_it_lists_the_actions_the_partner_may_perform_now(self, world):
        body = world.partner_a_client().get(self.url(world)).json()
        assert {a["action"] for a in body["actions"]} == {
            "borrower_received", "borrower_renewal_request", "borrower_return_shipped"}

    def test_the_lender_partner_is_offered_the_lender_actions_on_our_borrowing_request(self, world):
        body = world.partner_a_client().get(f"/api/v1/requests/{world.borrowing_a.pk}/").json()
        assert "lender_shipped" in {a["action"] for a in body["actions"]}
        assert "receive" not in {a["action"] for a in body["actions"]}

    def test_a_partner_never_reads_the_patron_of_our_borrowing_request(self, world):
        response = world.partner_a_client().get(f"/api/v1/requests/{world.borrowing_a.pk}/")
        patron = world.borrowing_a.patron
        assert not {"patron", "patron_name", "patron_due_date"} & set(response.json())
        assert patron.last_name.encode() not in response.content
        assert patron.patron_profile.card_barcode.encode() not in response.content

    def test_staff_read_the_patrons_name_on_a_borrowing_request(self, world):
        body = world.staff_client().get(f"/api/v1/requests/{world.borrowing_a.pk}/").json()
        assert body["patron_name"] == world.borrowing_a.patron.get_full_name()
        assert world.borrowing_a.patron.patron_profile.card_barcode not in str(body)

    def test_staff_read_no_patron_on_a_lending_request(self, world):
        assert world.staff_client().get(self.url(world)).json()["patron_name"] is None

    def test_a_partner_reads_the_history_without_names_or_internal_notes(self, world):
        staff, request = world.staff_user(), world.borrowing_a
        Event.objects.create(request=request, action="send_to_lender", from_status=BorrowingStatus.SOURCING,
                             to_status=BorrowingStatus.SENT,
                             actor_kind=ActorKind.SYSTEM)
        perform(request=request, action="receive", actor=Actor.staff(staff), note="arrived in good shape")
        perform(request=request, action="check_out", actor=Actor.staff(staff), note="Ada picked it up")
        events = world.partner_a_client().get(f"/api/v1/requests/{request.pk}/").json()["events"]
        assert [(e["action"], e["actor_kind"], e["note"]) for e in events] == [
            ("send_to_lender", "system", ""), ("receive", "staff", "arrived in good shape"), ("check_out", "staff", "")]
        assert not {"actor", "actor_user", "actor_library", "data"} & set(events[0])
        assert staff.last_name not in str(events)

    def test_a_partner_reads_the_notes_of_messages_sent_to_it_and_its_own(self, world):
        perform(request=world.lending_a, action="borrower_received", actor=Actor.partner(world.partner_a),
                source=EventSource.API, note="arrived fine")
        perform(request=world.lending_a, action="recall", actor=Actor.staff(world.staff_user()),
                note="needed for a course reserve")
        events = world.partner_a_client().get(self.url(world)).json()["events"]
        assert [e["note"] for e in events] == ["arrived fine", "needed for a course reserve"]

    def test_the_current_lender_does_not_read_the_history_with_earlier_lenders(self, world):
        borrowing = world.borrowing_b
        Event.objects.create(request=borrowing, action="send_to_lender", from_status=BorrowingStatus.SOURCING,
                             to_status=BorrowingStatus.SENT,
                             actor_kind=ActorKind.SYSTEM, note="to the first lender")
        Event.objects.create(request=borrowing, action="lender_unfilled", from_status=BorrowingStatus.SENT,
                             to_status=BorrowingStatus.SOURCING,
                             actor_kind=ActorKind.PARTNER, actor_library=world.partner_a, note="not on shelf")
        Event.objects.create(request=borrowing, action="send_to_lender", from_status=BorrowingStatus.SOURCING,
                             to_status=BorrowingStatus.SENT,
                             actor_kind=ActorKind.SYSTEM)
        events = world.partner_b_client().get(f"/api/v1/requests/{borrowing.pk}/").json()["events"]
        assert [e["action"] for e in events] == ["send_to_lender"]
        assert "not on shelf" not in str(events)

    def test_staff_read_who_acted_and_every_note(self, world):
        user = world.staff_user()
        perform(request=world.lending_a, action="recall", actor=Actor.staff(user), note="course reserve")
        body = world.staff_client(user=user).get(self.url(world)).json()
        assert body["events"][-1]["actor"] == user.get_full_name()
        assert body["events"][-1]["note"] == "course reserve"
