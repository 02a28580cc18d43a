from __future__ import annotations

import pytest

from tests.ncip_responder.fixtures import ils, ncip_responder_process, ncip_schema_dir  # noqa: F401  (fixtures)


@pytest.fixture
def connect(ils, ncip_schema_dir, settings):  # noqa: F811
    """``connect(library, **fields)``: the library's NCIP connection, on, to the responder."""
    from requests_app.models import NcipConnection

    settings.ILLMS_NCIP_SCHEMA_DIR = ncip_schema_dir

    def make(library, **fields):
        values = {"enabled": True, "ils": "generic", "endpoint": ils.url, "our_agency_id": "ILLMS",
                  "ils_agency_id": library.symbol, "timeout_seconds": 2, "lookup_timeout_seconds": 1, **fields}
        return NcipConnection.objects.create(library=library, **values)

    return make


@pytest.fixture
def home():
    """The member library whose ILS the tests talk to (a module may give its own)."""
    from tests.factories import MemberLibraryFactory

    return MemberLibraryFactory(symbol="HOME")
