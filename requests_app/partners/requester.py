"""What a partner's request says about the requesting library, kept on the lending request at intake.

ISO 18626 ``requestedDeliveryInfo`` (where to ship, in the borrower's order of preference),
``requestingAgencyInfo`` (its name, contact and addresses), ``billingInfo`` (who to bill, and where)
and ``serviceInfo/serviceLevel`` become a :class:`RequesterDetails` row and :class:`RequesterAddress`
rows (:func:`keep_requester_details`, called by the handler when it creates the request; the REST API's
request gives the same parts to :func:`keep_given_details`). The
lending desk shows them and the shipping label and pull slip print the first postal ship-to address;
a request that gave none is shipped to the directory's address. The citation is read elsewhere
(``handler.citation_of``). Patron details (``patronInfo``) are not read: a lending request has no patron.
"""

from __future__ import annotations

from ..iso18626 import messages as m
from ..models import AddressPurpose, IllRequest, RequesterAddress, RequesterDetails


def _text(value: str | None, field: str, model: type) -> str:
    """``value`` as a column can hold it: trimmed, cut to the column's length, without NUL characters."""
    limit = model._meta.get_field(field).max_length
    return (value or "").replace("\x00", "").strip()[:limit]


def _code(value: m.TypedValue | None, field: str, model: type) -> str:
    return _text(value.value if value is not None else None, field, model)


def _address(address: m.Address, *, purpose: str, position: int, request: IllRequest,
             delivery_method: m.TypedValue | None = None, courier_name: m.TypedValue | None = None
             ) -> RequesterAddress | None:
    fields = {"delivery_method": _code(delivery_method, "delivery_method", RequesterAddress),
              "courier_name": _code(courier_name, "courier_name", RequesterAddress)}
    if isinstance(address, m.ElectronicAddress):
        fields.update(electronic_type=_code(address.type, "electronic_type", RequesterAddress) or "Email",
                      electronic_data=_text(address.data, "electronic_data", RequesterAddress))
        if not fields["electronic_data"]:
            return None
    else:
        for name in ("line1", "line2", "locality", "postal_code", "region"):
            fields[name] = _text(getattr(address, name), name, RequesterAddress)
        fields["country"] = _code(address.country, "country", RequesterAddress)
        if not any(fields[name] for name in ("line1", "line2", "locality", "postal_code", "region", "country")):
            return None
    return RequesterAddress(request=request, purpose=purpose, position=position, **fields)


def _ship_to_order(infos: tuple[m.RequestedDeliveryInfo, ...]) -> list[m.RequestedDeliveryInfo]:
    """The borrower's order of preference: by ``sortOrder`` (those without one last), then as sent."""
    return [info for _, info in sorted(enumerate(infos), key=lambda pair: (
        pair[1].sort_order is None, pair[1].sort_order or 0, pair[0]))]


def requester_details_of(message: m.Request, request: IllRequest
                         ) -> tuple[RequesterDetails | None, list[RequesterAddress]]:
    """The rows ``message`` gives ``request`` (not saved); ``None`` and ``[]`` for what it leaves out."""
    return _rows(request, delivery_infos=message.requested_delivery_infos, agency=message.requesting_agency_info,
                 billing=message.billing_info, service_level=message.service_info.service_level)


def _rows(request: IllRequest, *, delivery_infos: tuple[m.RequestedDeliveryInfo, ...],
          agency: m.RequestingAgencyInfo | None, billing: m.BillingInfo | None,
          service_level: m.TypedValue | None) -> tuple[RequesterDetails | None, list[RequesterAddress]]:
    addresses: list[RequesterAddress | None] = []
    ship_to = [info for info in _ship_to_order(delivery_infos) if info.address is not None]
    for position, info in enumerate(ship_to):
        addresses.append(_address(info.address, purpose=AddressPurpose.SHIP_TO, position=position, request=request,
                                  delivery_method=info.delivery_method, courier_name=info.courier_name))
    if agency is not None:
        addresses += [_address(a, purpose=AddressPurpose.CONTACT, position=n, request=request)
                      for n, a in enumerate(agency.addresses)]
    if billing is not None and billing.address is not None:
        addresses.append(_address(billing.address, purpose=AddressPurpose.BILLING, position=0, request=request))
    details = RequesterDetails(
        request=request,
        name=_text(agency.name if agency else None, "name", RequesterDetails),
        contact_name=_text(agency.contact_name if agency else None, "contact_name", RequesterDetails),
        billing_name=_text(billing.billing_name if billing else None, "billing_name", RequesterDetails),
        billing_method=_code(billing.billing_method if billing else None, "billing_method", RequesterDetails),
        payment_method=_code(billing.payment_method if billing else None, "payment_method", RequesterDetails),
        service_level=_code(service_level, "service_level", RequesterDetails),
    )
    said = any(getattr(details, f) for f in ("name", "contact_name", "billing_name", "billing_method",
                                               "payment_method", "service_level"))
    return (details if said else None), [a for a in addresses if a is not None]


def keep_requester_details(*, request: IllRequest, message: m.Request) -> None:
    """Store what ``message`` says of the requesting library on the lending ``request`` just created.

    Writes nothing when the message says nothing; at most two statements otherwise (the details row,
    and every address in one ``INSERT``). Values are cut to their columns, so a long one never fails
    the intake.
    """
    _save(*requester_details_of(message, request))


def keep_given_details(*, request: IllRequest, delivery_infos: tuple[m.RequestedDeliveryInfo, ...] = (),
                       agency: m.RequestingAgencyInfo | None = None, billing: m.BillingInfo | None = None,
                       service_level: m.TypedValue | None = None) -> None:
    """Store the same details given as their parts (the REST API's request carries them outside a message)."""
    _save(*_rows(request, delivery_infos=delivery_infos, agency=agency, billing=billing, service_level=service_level))


def _save(details: RequesterDetails | None, addresses: list[RequesterAddress]) -> None:
    if details is not None:
        details.save(force_insert=True)
    if addresses:
        RequesterAddress.objects.bulk_create(addresses)
