import pytest

from tests.factories import MemberLibraryFactory, StaffFactory


@pytest.fixture
def library(db):
    return MemberLibraryFactory(symbol="LND", name="Lending University Library", loan_period_days=28)


@pytest.fixture
def staff(library):
    return StaffFactory(library=library)


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client
