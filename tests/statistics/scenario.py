"""A small ILL month with events at known times, whose figures are worked out by hand in the tests.

March 2026 at member library OWN, partners AAA and BBB (all times UTC, T0 = 2 March 09:00):

Lending (partners' requests to us), each received at T0:
  L1 from AAA: shipped after 1 day          L4 from BBB: unfilled after 1 day (NotOnShelf)
  L2 from AAA: copy delivered after 2 days  L5 from AAA: cancelled by the borrower
  L3 from BBB: shipped after 4 days         L6 from BBB: unfilled after 2 days (NotHeld)
Borrowing (our patrons' requests), each submitted at T0:
  B1 book: sent to AAA +1d, AAA unfilled +2d (NotHeld), sent to BBB +3d, BBB shipped +5d, received +7d,
     patron notified +8d, checked out +9d
  B2 article: sent to BBB +1d, BBB silent: no answer +4d, sent to AAA +5d, AAA delivered the copy +6d
  B3 book: sent to AAA +1d, AAA shipped +2d, received +4d, checked out at once +6d
  B4 book: sent to AAA +1d, we asked to cancel +2d, AAA confirmed +3d
Outside the period: L7 from AAA, received 10 February, shipped a day later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app.actors import ActorKind
from requests_app.models import Event, IllRequest, Library, Role
from tests.factories import IllRequestFactory, LendingRequestFactory, LibraryFactory, MemberLibraryFactory

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
ISBN = "9780262033848"
ISSN = "1234-5678"


def at(days: float) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def event(request: IllRequest, action: str, when: dt.datetime, to_status: str = "", *, by: Library | None = None,
          kind: str = ActorKind.STAFF, **data) -> Event:
    return Event.objects.create(request=request, action=action, to_status=to_status, created_at=when,
                                actor_kind=ActorKind.PARTNER if by else kind, actor_library=by, data=data)


def made(factory, *, when: dt.datetime = T0, **fields) -> IllRequest:
    request = factory(created_at=when, **fields)
    event(request, "create", when, request.status if request.role == Role.LENDING else "submitted",
          kind=ActorKind.PARTNER if request.role == Role.LENDING else ActorKind.PATRON)
    return request


@dataclass
class Scenario:
    own: Library
    aaa: Library
    bbb: Library
    requests: dict[str, IllRequest]


def build(own: Library | None = None) -> Scenario:
    own = own or MemberLibraryFactory(symbol="OWN")
    aaa, bbb = LibraryFactory(symbol="AAA", name="Alpha Library"), LibraryFactory(symbol="BBB", name="Beta Library")
    r: dict[str, IllRequest] = {}

    def lending(name, partner, status, **fields):
        r[name] = made(LendingRequestFactory, library=own, partner=partner, status=status, **fields)
        return r[name]

    event(lending("L1", aaa, "shipped"), "ship", at(1), "shipped")
    event(lending("L2", aaa, "copy_delivered", format="article", container_title="Journal of ILL"),
          "deliver_copy", at(2), "copy_delivered")
    event(lending("L3", bbb, "shipped"), "ship", at(4), "shipped")
    event(lending("L4", bbb, "unfilled"), "unfill", at(1), "unfilled", reason_unfilled="NotOnShelf")
    event(lending("L5", aaa, "cancelled"), "borrower_cancelled", at(1), "cancelled", by=aaa)
    event(lending("L6", bbb, "unfilled"), "unfill", at(2), "unfilled", reason_unfilled="NotHeld")
    r["L7"] = made(LendingRequestFactory, library=own, partner=aaa, status=LendingStatus.SHIPPED,
                   when=dt.datetime(2026, 2, 10, 12, 0, tzinfo=dt.UTC))
    event(r["L7"], "ship", dt.datetime(2026, 2, 11, 12, 0, tzinfo=dt.UTC), "shipped")

    def borrowing(name, partner, status, category, department, **fields):
        r[name] = made(IllRequestFactory, library=own, partner=partner, status=status, patron_category=category,
                       patron_department=department, **fields)
        return r[name]

    b1 = borrowing("B1", bbb, "checked_out", "faculty", "History", isbn=ISBN, title="Introduction to Algorithms")
    event(b1, "send_to_lender", at(1), "sent", kind=ActorKind.SYSTEM, lender="AAA")
    event(b1, "lender_unfilled", at(2), "sourcing", by=aaa, reason_unfilled="NotHeld")
    event(b1, "send_to_lender", at(3), "sent", kind=ActorKind.SYSTEM, lender="BBB")
    event(b1, "lender_shipped", at(5), "shipped", by=bbb)
    event(b1, "receive", at(7), "received")
    event(b1, "notify_patron", at(8), "ready_for_pickup")
    event(b1, "check_out", at(9), "checked_out")

    b2 = borrowing("B2", aaa, "delivered", "graduate", "Physics", format="article", title="On lending",
                   container_title="Journal of ILL", issn=ISSN)
    event(b2, "send_to_lender", at(1), "sent", kind=ActorKind.SYSTEM, lender="BBB")
    event(b2, "lender_unfilled", at(4), "sourcing", kind=ActorKind.SYSTEM, rota_outcome="no_answer")
    event(b2, "send_to_lender", at(5), "sent", kind=ActorKind.SYSTEM, lender="AAA")
    event(b2, "lender_delivered_copy", at(6), "delivered", by=aaa)

    b3 = borrowing("B3", aaa, "checked_out", "faculty", "History", isbn=ISBN, title="Introduction to algorithms")
    event(b3, "send_to_lender", at(1), "sent", kind=ActorKind.SYSTEM, lender="AAA")
    event(b3, "lender_shipped", at(2), "shipped", by=aaa)
    event(b3, "receive", at(4), "received")
    event(b3, "check_out", at(6), "checked_out")

    b4 = borrowing("B4", aaa, "cancelled", "undergraduate", "", title="Cataloguing basics")
    event(b4, "send_to_lender", at(1), "sent", kind=ActorKind.SYSTEM, lender="AAA")
    event(b4, "request_cancel", at(2), "cancel_pending", kind=ActorKind.PATRON)
    event(b4, "lender_cancelled", at(3), "cancelled", by=aaa)
    return Scenario(own=own, aaa=aaa, bbb=bbb, requests=r)


def more_traffic(own: Library, partner: Library, count: int) -> None:
    """``count`` more borrowing and lending requests, each answered and measured, for query-count checks."""
    for index in range(count):
        when = T0 + dt.timedelta(hours=index)
        lent = made(LendingRequestFactory, library=own, partner=partner, status=LendingStatus.SHIPPED, when=when)
        event(lent, "ship", when + dt.timedelta(days=1), "shipped")
        borrowed = made(IllRequestFactory, library=own, partner=partner, status=BorrowingStatus.READY_FOR_PICKUP,
                        when=when,
                        patron_category="staff", patron_department=f"Dept {index}", isbn=f"978000000000{index % 10}")
        event(borrowed, "send_to_lender", when + dt.timedelta(hours=1), "sent", lender=partner.symbol)
        event(borrowed, "lender_unfilled" if index % 2 else "lender_shipped", when + dt.timedelta(days=1),
              "sourcing" if index % 2 else "shipped", by=partner, reason_unfilled="NotHeld")
        event(borrowed, "receive", when + dt.timedelta(days=2), "received")
        event(borrowed, "notify_patron", when + dt.timedelta(days=3), "ready_for_pickup")
