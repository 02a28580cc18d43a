"""Borrowed loans for the NCIP tests: a request moved along by real workflow actions, its hooks run."""

from __future__ import annotations

from borrowing.states import BorrowingStatus
from requests_app import services
from requests_app.models import IllRequest, PickupLocation
from requests_app.workflow import Actor
from tests.factories import IllRequestFactory, LibraryFactory, PickupLocationFactory


def act(request: IllRequest, action: str, actor: Actor, capture, **data) -> IllRequest:
    """Perform ``action`` on ``request`` with the on-commit callbacks (the NCIP calls) run; the request reloaded."""
    with capture(execute=True):
        services.perform(request=IllRequest.objects.get(pk=request.pk), action=action, actor=actor, data=data)
    request.refresh_from_db()
    return request


def shipped_loan(home, patron, capture, *, due: str = "2027-02-20") -> IllRequest:
    """A loan of ``patron``'s from a new lender, shipped with ``due``, to be picked up at ``home``'s main desk."""
    lender = LibraryFactory()
    desk = (PickupLocation.objects.filter(library=home, code="main").first()
            or PickupLocationFactory(library=home, code="main", name="Main desk"))
    request = IllRequestFactory(library=home, partner=lender, patron=patron, status=BorrowingStatus.SENT,
                                pickup_location=desk)
    return act(request, "lender_shipped", Actor.partner(lender), capture, due_date=due)
