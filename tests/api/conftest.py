"""The world every API test starts from: one member library of ours, two partners with keys, their requests.

``world.client(...)`` gives a DRF ``APIClient`` as a partner (by key), a staff member, a
patron or nobody.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from borrowing.states import BorrowingStatus
from lending.states import LendingStatus
from requests_app import roles
from requests_app.models import IllRequest, Library
from requests_app.partners.keys import issue_api_key, revoke_api_key
from tests.factories import (
    IllRequestFactory,
    LendingRequestFactory,
    LibraryFactory,
    MemberLibraryFactory,
    PatronFactory,
    StaffFactory,
)


@dataclass
class World:
    ours: Library
    partner_a: Library
    partner_b: Library
    key_a: str
    key_b: str
    revoked_key_a: str
    #: A borrows from us: our lending request, shipped to A.
    lending_a: IllRequest
    #: We borrow from A: our borrowing request, sent to A.
    borrowing_a: IllRequest
    lending_b: IllRequest
    borrowing_b: IllRequest
    extra: dict = field(default_factory=dict)

    def client(self, key: str | None = None, *, user=None, authorization: str | None = None) -> APIClient:
        api = APIClient()
        if key is not None:
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
        if authorization is not None:
            api.credentials(HTTP_AUTHORIZATION=authorization)
        if user is not None:
            api.force_login(user)
        return api

    def partner_a_client(self) -> APIClient:
        return self.client(self.key_a)

    def partner_b_client(self) -> APIClient:
        return self.client(self.key_b)

    def staff_user(self, groups: list[str] | None = None, library: Library | None = None):
        """A staff member of ``library`` (ours by default), in both queue roles unless ``groups`` says."""
        return StaffFactory(library=library or self.ours, groups=groups)

    def staff_client(self, user=None, **kwargs) -> APIClient:
        return self.client(user=user or self.staff_user(**kwargs))

    def patron_client(self) -> APIClient:
        return self.client(user=PatronFactory(profile__library=self.ours))


@pytest.fixture
def world(db) -> World:
    ours = MemberLibraryFactory(symbol="OURS", name="Our University Library")
    partner_a = LibraryFactory(symbol="PA", name="Partner A")
    partner_b = LibraryFactory(symbol="PB", name="Partner B")
    _, key_a = issue_api_key(library=partner_a, name="A production")
    _, key_b = issue_api_key(library=partner_b, name="B production")
    revoked, revoked_key_a = issue_api_key(library=partner_a, name="A old")
    revoke_api_key(key=revoked)
    due = dt.date.today() + dt.timedelta(days=28)
    return World(
        ours=ours, partner_a=partner_a, partner_b=partner_b, key_a=key_a, key_b=key_b, revoked_key_a=revoked_key_a,
        lending_a=LendingRequestFactory(library=ours, partner=partner_a, status=LendingStatus.SHIPPED, due_date=due),
        borrowing_a=IllRequestFactory(library=ours, partner=partner_a, status=BorrowingStatus.SENT),
        lending_b=LendingRequestFactory(library=ours, partner=partner_b, status=LendingStatus.SHIPPED, due_date=due),
        borrowing_b=IllRequestFactory(library=ours, partner=partner_b, status=BorrowingStatus.SENT),
    )


@pytest.fixture
def staff_groups() -> dict[str, list[str]]:
    return {"both": [roles.BORROWING_STAFF, roles.LENDING_STAFF], "lending": [roles.LENDING_STAFF],
            "borrowing": [roles.BORROWING_STAFF]}
