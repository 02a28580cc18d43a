"""What each family of ILS does differently over NCIP, as data.

A profile says which services the ILS answers, which elements it needs that the schema leaves optional,
the identifier schemes it reads, how the lender's due date reaches it, what its pickup location codes
look like, and how an ILL loan leaves it at the end. Each profile's ``sources`` names the public
documentation its assumptions follow; docs/ncip.md tells the same per system. Where a system's
documentation is silent we chose the standard's behaviour and say so in ``notes``.

Pure data and small functions: no Django.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


def _(text: str) -> str:
    """Marks ``text`` for the catalogues; the Policies page translates it when it shows the profile."""
    return text


class Service(StrEnum):
    LOOKUP_USER = "LookupUser"
    ACCEPT_ITEM = "AcceptItem"
    CHECK_OUT_ITEM = "CheckOutItem"
    CHECK_IN_ITEM = "CheckInItem"
    RENEW_ITEM = "RenewItem"
    DELETE_ITEM = "DeleteItem"
    LOOKUP_ITEM = "LookupItem"
    LOOKUP_ITEM_SET = "LookupItemSet"
    RECALL_ITEM = "RecallItem"
    REQUEST_ITEM = "RequestItem"
    CANCEL_REQUEST_ITEM = "CancelRequestItem"


ALL_SERVICES = frozenset(Service)


class DueDate(StrEnum):
    """Where the lender's due date (less our buffer) goes so the ILS's loan rules do not replace it."""

    #: AcceptItem's DateForReturn: the temporary item carries it, the check-out takes it.
    ACCEPT_ITEM = "accept_item"
    #: CheckOutItem's (and RenewItem's) DesiredDateDue.
    CHECK_OUT = "check_out"
    #: Both: DateForReturn at receive and DesiredDateDue at check-out and renewal.
    BOTH = "both"
    #: Neither is honoured: the ILS's loan policy for the ILL item type decides (set it up as docs/ncip.md says).
    ILS_RULES = "ils_rules"


DUE_DATE_LABELS = {
    DueDate.ACCEPT_ITEM: _("sent as AcceptItem's DateForReturn"),
    DueDate.CHECK_OUT: _("sent as DesiredDateDue at check-out and renewal"),
    DueDate.BOTH: _("sent at receive (DateForReturn) and at check-out and renewal (DesiredDateDue)"),
    DueDate.ILS_RULES: _("set by the ILS's own loan policy (NCIP cannot set it)"),
}


#: CirculationStatus values (compared in lower case) that say the ILS has an item out to a patron, and that it
#: is back: the NCIP 2.02 Circulation Status scheme's words, and the plain words ILS responders use beside them.
ON_LOAN_STATUSES = frozenset({"on loan", "recalled", "charged", "checked out", "overdue"})
RETURNED_STATUSES = frozenset({"available on shelf", "waiting to be reshelved", "in transit between library locations",
                               "in process", "available", "returned", "checked in"})


class RecallBy(StrEnum):
    """How a lender's recall (an earlier due date) reaches the ILS."""

    #: NCIP RecallItem with the new date as DesiredDateDue.
    RECALL_ITEM = "recall_item"
    #: RenewItem with the new date as DesiredDateDue: the ILS takes the date it is given (it counts a renewal).
    RENEW_ITEM = "renew_item"
    #: The ILS cannot take it over NCIP: staff change the due date at its desk (a needs-action entry says so).
    BY_HAND = "by_hand"


RECALL_LABELS = {
    RecallBy.RECALL_ITEM: _("sent as RecallItem with the earlier date"),
    RecallBy.RENEW_ITEM: _("sent as RenewItem with the earlier date as DesiredDateDue (the ILS counts a renewal)"),
    RecallBy.BY_HAND: _("changed by hand at the ILS's desk (the request lists it as to do)"),
}


class UserIdSource(StrEnum):
    """Which of our patron's identifiers the ILS knows them by."""

    CARD_BARCODE = "card_barcode"
    INSTITUTION_ID = "institution_id"


class AuthScheme(StrEnum):
    NONE = "none"
    BASIC = "basic"
    BEARER = "bearer"
    API_KEY_QUERY = "apikey"
    FROM_AGENCY = "from_agency"


AUTH_CHOICES = [
    (AuthScheme.NONE.value, _("None (the ILS trusts our address or agency id)")),
    (AuthScheme.BASIC.value, _("HTTP Basic (user name and password)")),
    (AuthScheme.BEARER.value, _("Authorization: Bearer <secret>")),
    (AuthScheme.API_KEY_QUERY.value, _("API key in the address (?apikey=<secret>)")),
    (AuthScheme.FROM_AGENCY.value, _("FromAgencyAuthentication in each message")),
]


PICKUP_CODE_PROBLEM = _("“%(code)s” is not a %(ils)s %(kind)s (%(hint)s).")


@dataclass(frozen=True)
class Profile:
    key: str
    label: str
    #: The services the ILS answers; a call to another is recorded as “not offered by <ILS>” and not sent.
    services: frozenset[Service]
    due_date: DueDate
    user_id_source: UserIdSource = UserIdSource.CARD_BARCODE
    #: UserIdentifierType / ItemIdentifierType values the ILS reads (empty: the element is left out).
    user_id_type: str = "Barcode"
    item_id_type: str = "Barcode"
    #: Put before the request's barcode (B123) to make the temporary item's barcode, when the ILS's barcodes
    #: share one space across all items and need telling apart.
    item_barcode_prefix: str = ""
    #: Elements the schema leaves optional but the ILS refuses a message without.
    sends_user_in_accept_item: bool = True
    sends_agency_in_item_id: bool = False
    #: The temporary item leaves the ILS by DeleteItem at completion; False: the check-in ends it (no call).
    deletes_temporary_item: bool = True
    #: What the ILS calls the codes of ``PickupLocation`` (shown on the Policies page) and a pattern they must match.
    pickup_location_kind: str = _("the ILS's pickup location code")
    pickup_location_pattern: str = r"^\S{1,64}$"
    pickup_location_hint: str = _("no spaces, at most 64 characters")
    #: The authentication the ILS's NCIP endpoint usually expects.
    default_auth: AuthScheme = AuthScheme.NONE
    #: RequestItem's RequestScopeType for a hold on our own copy.
    request_scope: str = "Item"
    #: The CirculationStatus words of an item out to a patron, and of one back (learning of the ILS's desk).
    on_loan_statuses: frozenset[str] = ON_LOAN_STATUSES
    returned_statuses: frozenset[str] = RETURNED_STATUSES
    sources: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def service_list(self) -> list[str]:
        return sorted(self.services)

    @property
    def due_date_label(self) -> str:
        return DUE_DATE_LABELS[self.due_date]

    def offers(self, service: str) -> bool:
        return service in self.services

    @property
    def learns_circulation(self) -> bool:
        """ILLMS can learn of a check-out or check-in done at the ILS's desk: it may ask about an item."""
        return self.offers(Service.LOOKUP_ITEM) or self.offers(Service.LOOKUP_ITEM_SET)

    @property
    def circulation_label(self) -> str:
        if self.offers(Service.LOOKUP_ITEM_SET):
            return _("learnt every few minutes (LookupItemSet, many items at once)")
        if self.offers(Service.LOOKUP_ITEM):
            return _("learnt every few minutes (LookupItem, item by item)")
        return _("not learnt (no LookupItem): staff record them in ILLMS too")

    @property
    def recall_by(self) -> RecallBy:
        """How a recall's earlier due date reaches the ILS: RecallItem where it is offered, else a RenewItem with
        the date where the ILS takes DesiredDateDue at renewal, else by hand."""
        if self.offers(Service.RECALL_ITEM):
            return RecallBy.RECALL_ITEM
        if self.offers(Service.RENEW_ITEM) and self.due_date_in_check_out():
            return RecallBy.RENEW_ITEM
        return RecallBy.BY_HAND

    @property
    def recall_label(self) -> str:
        return RECALL_LABELS[self.recall_by]

    def is_on_loan(self, circulation_status: str) -> bool:
        return " ".join(circulation_status.lower().split()) in self.on_loan_statuses

    def is_returned(self, circulation_status: str) -> bool:
        return " ".join(circulation_status.lower().split()) in self.returned_statuses

    def item_barcode(self, request_number: str) -> str:
        return f"{self.item_barcode_prefix}{request_number}"

    def due_date_in_accept_item(self) -> bool:
        return self.due_date in (DueDate.ACCEPT_ITEM, DueDate.BOTH)

    def due_date_in_check_out(self) -> bool:
        return self.due_date in (DueDate.CHECK_OUT, DueDate.BOTH)

    def pickup_code_problem(self, code: str, translate: Callable[[str], str] = str) -> str:
        """Why ``code`` cannot be one of this ILS's pickup location codes, or empty; ``translate`` (``gettext``)
        puts it in the reader's language."""
        if not re.fullmatch(self.pickup_location_pattern, code):
            return translate(PICKUP_CODE_PROBLEM) % {
                "code": code, "ils": translate(self.label), "kind": translate(self.pickup_location_kind),
                "hint": translate(self.pickup_location_hint)}
        return ""


S = Service

PROFILES: dict[str, Profile] = {profile.key: profile for profile in (
    Profile(
        key="alma", label="Alma",
        # Alma is an NCIP responder for these five only (Resource Sharing Partners, NCIP partner type).
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.REQUEST_ITEM}),
        due_date=DueDate.ACCEPT_ITEM,
        user_id_source=UserIdSource.INSTITUTION_ID, user_id_type="",
        deletes_temporary_item=False,
        pickup_location_kind=_("library code"), pickup_location_pattern=r"^[A-Za-z0-9_\-]{1,50}$",
        pickup_location_hint=_("the code of an Alma library: letters, digits, dash or underscore"),
        sources=(
            "https://developers.exlibrisgroup.com/alma/integrations/resource_sharing/broker/ncip/",
            "https://knowledge.exlibrisgroup.com/Alma/Product_Documentation/Alma_Online_Help_(English)/"
            "Integrations_with_External_Systems/040Fulfillment/020Resource_Sharing_Partners",
        ),
        notes=(
            _("Alma answers RequestItem, CheckOutItem, CheckInItem, AcceptItem and LookupUser only: no RenewItem "
              "(a granted renewal is entered in Alma), no DeleteItem (the CheckInItem at return closes Alma's "
              "borrowing request and its temporary item), no LookupItem, no CancelRequestItem."),
            _("Users are matched by their Alma primary identifier, which is usually the institution id."),
            _("The partner record in Alma must have our agency id as its partner code."),
        ),
    ),
    Profile(
        key="folio", label="FOLIO",
        # mod-ncip's supported services, behind edge-ncip.
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.DELETE_ITEM,
                            S.REQUEST_ITEM, S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.ILS_RULES,
        pickup_location_kind=_("service point code"), pickup_location_pattern=r"^[A-Za-z0-9_\-.]{1,64}$",
        pickup_location_hint=_("the code of a FOLIO service point"),
        default_auth=AuthScheme.API_KEY_QUERY,
        sources=("https://github.com/folio-org/mod-ncip (README: supported services, configuration per agency id)",
                 "https://github.com/folio-org/edge-ncip (README: the API key in the address)"),
        notes=(
            _("mod-ncip has no RenewItem and no LookupItem."),
            _("Its settings (instance type, loan type, locations, service points) are kept per FromAgencyId: our "
              "agency id must be the key of that settings entry."),
            _("The loan's due date comes from FOLIO's loan policy for the NCIP loan type: give that loan type a "
              "fixed-due-date policy shorter than any lender's loan period, or staff adjust it in FOLIO."),
        ),
    ),
    Profile(
        key="koha", label="Koha",
        # NCIPServer's Koha driver (Libriotech/NCIPServer, lib/NCIP/ILS/Koha.pm).
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.RENEW_ITEM,
                            S.LOOKUP_ITEM, S.REQUEST_ITEM, S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.CHECK_OUT,
        deletes_temporary_item=False,
        pickup_location_kind=_("branch code"), pickup_location_pattern=r"^[A-Z0-9_\-]{1,10}$",
        pickup_location_hint=_("a Koha branchcode: capital letters, digits, dash or underscore, at most 10"),
        sources=("https://github.com/Libriotech/NCIPServer (lib/NCIP/ILS/Koha.pm: the handlers it has)",),
        notes=(
            _("NCIPServer has no DeleteItem for Koha: the temporary item stays checked in, and Koha's ILL "
              "module or a cron job removes it."),
            _("The due date is sent as CheckOutItem's and RenewItem's DesiredDateDue, which Koha's AddIssue "
              "and AddRenewal take instead of the circulation rules."),
            _("Users are matched by cardnumber; pickup locations are branch codes."),
        ),
    ),
    Profile(
        key="sierra", label="Sierra",
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.REQUEST_ITEM,
                            S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.ACCEPT_ITEM,
        item_barcode_prefix="ILL",
        deletes_temporary_item=False,
        pickup_location_kind=_("location code"), pickup_location_pattern=r"^[a-z0-9]{1,5}$",
        pickup_location_hint=_("a Sierra location code: at most 5 lower-case letters or digits"),
        sources=("https://openlibraryfoundation.atlassian.net/wiki (ReShare: NCIP services per host LMS, Sierra)",),
        notes=(
            _("Sierra creates a virtual item from AcceptItem, with DateForReturn as its due date; the virtual item "
              "is removed by Sierra when it is checked in, so there is no DeleteItem."),
            _("Item barcodes share one space with the library's own items: the temporary item's barcode is "
              "prefixed with ILL."),
        ),
    ),
    Profile(
        key="symphony", label="Symphony",
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.RENEW_ITEM,
                            S.DELETE_ITEM, S.LOOKUP_ITEM, S.REQUEST_ITEM, S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.CHECK_OUT,
        sends_agency_in_item_id=True,
        default_auth=AuthScheme.FROM_AGENCY,
        pickup_location_kind=_("library policy name"), pickup_location_pattern=r"^[A-Z0-9_\-]{1,10}$",
        pickup_location_hint=_("a Symphony library policy name: capital letters, digits, dash or underscore"),
        sources=("https://openlibraryfoundation.atlassian.net/wiki (ReShare: NCIP services per host LMS, Symphony)",),
        notes=(
            _("Symphony's NCIP server authenticates each message by FromAgencyAuthentication (the client secret "
              "set up in Symphony's NCIP configuration)."),
            _("ItemId carries the AgencyId (the Symphony library) as well as the barcode."),
            _("The due date goes as DesiredDateDue at check-out and renewal."),
        ),
    ),
    Profile(
        key="polaris", label="Polaris",
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.DELETE_ITEM,
                            S.REQUEST_ITEM, S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.ACCEPT_ITEM,
        default_auth=AuthScheme.FROM_AGENCY,
        pickup_location_kind=_("branch id"), pickup_location_pattern=r"^[0-9]{1,6}$",
        pickup_location_hint=_("a Polaris branch (organization) id: digits only"),
        sources=("https://openlibraryfoundation.atlassian.net/wiki (ReShare: NCIP services per host LMS, Polaris)",),
        notes=(
            _("Polaris's pickup branches are numeric organization ids, not codes."),
            _("Polaris takes the due date from AcceptItem's DateForReturn for the ILL item record."),
        ),
    ),
    Profile(
        key="evergreen", label="Evergreen",
        # NCIPServer's Evergreen driver (Libriotech/NCIPServer, lib/NCIP/ILS/Evergreen.pm).
        services=frozenset({S.LOOKUP_USER, S.ACCEPT_ITEM, S.CHECK_OUT_ITEM, S.CHECK_IN_ITEM, S.RENEW_ITEM,
                            S.LOOKUP_ITEM, S.REQUEST_ITEM, S.CANCEL_REQUEST_ITEM}),
        due_date=DueDate.ILS_RULES,
        deletes_temporary_item=False,
        pickup_location_kind=_("org unit short name"), pickup_location_pattern=r"^[A-Za-z0-9_\-]{1,32}$",
        pickup_location_hint=_("an Evergreen org unit short name"),
        sources=("https://github.com/Libriotech/NCIPServer (lib/NCIP/ILS/Evergreen.pm: the handlers it has)",),
        notes=(
            _("NCIPServer's Evergreen driver creates a precat copy at AcceptItem and ignores DateForReturn and "
              "DesiredDateDue: the circulation policy of the ILL circ modifier sets the due date."),
            _("No DeleteItem: the precat copy is checked in at return and left to Evergreen's clean-up."),
        ),
    ),
    Profile(
        key="generic", label=_("Other (NCIP 2.02 as the standard says)"),
        services=ALL_SERVICES,
        due_date=DueDate.BOTH,
        sources=("ANSI/NISO Z39.83-1-2012, NCIP version 2.02",),
        notes=(_("Every service the standard defines for ILL; the due date is sent both ways (DateForReturn and "
                 "DesiredDateDue)."),),
    ),
)}

CHOICES = [(profile.key, profile.label) for profile in PROFILES.values()]


def profile_for(key: str) -> Profile:
    return PROFILES.get(key) or PROFILES["generic"]
