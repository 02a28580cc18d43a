"""The partner doors' addresses come first in the URL configuration, and no page of the site could take them."""

from __future__ import annotations

import pytest
from django.urls import Resolver404, get_resolver, resolve

from requests_app.partners.endpoint import iso18626

PARTNER_ADDRESSES = ["iso18626", "api/v1/requests/", "api/v1/requests/12/", "api/v1/requests/12/actions/ship/",
                     "api/v1/messages/", "api/v1/invoices/", "api/v1/holdings/", "api/v1/libraries/", "api/schema/",
                     "api/docs/", "api/no-such-thing/"]


def _is_partner_door(pattern) -> bool:
    return str(pattern.pattern).lstrip("^").startswith(("api/", "iso18626"))


def test_the_partner_doors_are_the_first_patterns_tried():
    patterns = get_resolver().url_patterns
    doors = [i for i, pattern in enumerate(patterns) if _is_partner_door(pattern)]

    assert doors == list(range(len(doors)))
    assert len(doors) >= 8


@pytest.mark.parametrize("address", PARTNER_ADDRESSES)
def test_no_page_of_the_site_matches_a_partner_doors_address(address):
    """So the order changes nothing: a page's pattern would never have taken a partner's call."""
    for pattern in get_resolver().url_patterns:
        if _is_partner_door(pattern):
            continue
        try:
            match = pattern.resolve(address)
        except Resolver404:
            match = None
        assert match is None, (address, str(pattern.pattern))


def test_the_iso18626_door_still_resolves_to_its_view():
    assert resolve("/iso18626").func is iso18626
