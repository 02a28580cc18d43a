"""Every policy a member library may set, declared once.

From ``POLICIES`` come the ``ILLMS_*`` settings (``illms/settings.py`` reads them with
``from_environment``), the columns of ``LibraryPolicy`` and their defaults, the read-only ``Policy``
that ``requests_app.policies.policy_for`` returns, and the fields and bounds of the policy forms.
To add a policy: declare it here, add a migration for the new column (``makemigrations``), put its
field on a policy page and say in docs/policies.md and docs/configuration.md what it does.

This module imports nothing of Django at load time: the settings module imports it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

BORROWING = "borrowing"
PRIVACY = "privacy"
LENDING = "lending"
DELIVERY = "electronic delivery"


def _(text: str) -> str:
    """Marks ``text`` for the catalogues without importing Django's translation (forms translate it when shown)."""
    return text


@dataclasses.dataclass(frozen=True)
class Declared:
    """One policy: the column and attribute ``name``, how people see it, where its value comes from."""

    name: str
    #: The column's verbose name (lower case, as Django's); forms translate and capitalise it.
    label: str
    help_text: str
    #: Which policy page edits it and what part of the service it rules.
    area: str
    #: The value of an installation that does not set ``setting`` (a dict: a map that starts empty).
    default: int | bool | dict
    #: The ``ILLMS_*`` setting (and environment variable) a library without a row of its own gets.
    setting: str | None = None
    #: The smallest and largest number an administrator may set on the policy pages.
    bounds: tuple[int, int] | None = None

    @property
    def type(self) -> type:
        return type(self.default)

    def installation_value(self) -> Any:
        """The value of a library without its own: the setting, read when asked (tests change it)."""
        if self.setting is None:
            return self.type(self.default)
        from django.conf import settings

        return self.type(getattr(settings, self.setting, self.default))


POLICIES: tuple[Declared, ...] = (
    # Borrowing: loans to our patrons
    Declared("due_date_buffer_days", _("due-date buffer (days)"),
             _("The patron's due date is this many days before the lender's, to leave time to send the item back."),
             BORROWING, 3, "ILLMS_DUE_DATE_BUFFER_DAYS", (0, 60)),
    Declared("max_renewals", _("renewals per loan"),
             _("How many times a loan may be renewed (we ask the lender; lenders we lend to get the same limit)."),
             BORROWING, 2, "ILLMS_MAX_RENEWALS", (0, 20)),
    Declared("max_active_requests", _("active requests per patron"),
             _("The most open requests a patron may have at once, unless their category has its own limit."),
             BORROWING, 25, "ILLMS_MAX_ACTIVE_REQUESTS_PER_PATRON", (1, 1000)),
    Declared("max_active_requests_by_category", _("active requests per patron category"),
             _("Patron category code → limit; a category not listed uses the general limit."),
             BORROWING, {}),
    Declared("rota_auto_advance_days", _("days before the next lender"),
             _("A lender that has not answered after this many days is skipped and the next one in the rota asked."),
             BORROWING, 3, "ILLMS_ROTA_AUTO_ADVANCE_DAYS", (1, 60)),
    Declared("lender_silent_days", _("no answer from a lender after (days)"),
             _("A request its lender has not answered this many days after we sent it is listed on the borrowing "
             "desk under “No answer from the lender”, to chase or move on before the rota does."),
             BORROWING, 2, "ILLMS_LENDER_SILENT_DAYS", (1, 60)),
    Declared("due_soon_days", _("due back soon (days)"),
             _("A loan due back to its lender within this many days is listed on the desks under “Due back”."),
             BORROWING, 7, "ILLMS_DUE_SOON_DAYS", (1, 90)),
    Declared("rota_max_lenders", _("lenders in a rota"), _("The most lenders a request's rota lists."),
             BORROWING, 10, "ILLMS_ROTA_MAX_LENDERS", (1, 50)),
    Declared("auto_send_formats", _("send to the first lender automatically"),
             _("Format code → true: a request of that format goes to the first lender of its rota as soon as it "
             "passes review (verified, or cleared for copyright), without staff pressing Send."),
             BORROWING, {}),
    Declared("country_preferences", _("preferred countries and regions"),
             _("Country or region code → points added to a lender's rota score (“own”: our own country); the "
               "best match counts. Empty: the installation's default, ILLMS_ROTA_COUNTRY_PREFERENCES."),
             BORROWING, {}),
    Declared("rush_within_days", _("rush when needed within (days)"),
             _("A request needed by a date this many days away or sooner asks the lender for rush service "
             "(ISO 18626 service level Rush); 0: never."),
             BORROWING, 7, "ILLMS_RUSH_WITHIN_DAYS", (0, 60)),
    Declared("reminder_days_before", _("reminder days before due"),
             _("Patrons get a reminder this many days before their due date."),
             BORROWING, 3, "ILLMS_REMINDER_DAYS_BEFORE", (1, 30)),
    Declared("copyright_copies_per_year", _("copies per journal per year"),
             _("Copies of recent articles from one journal a year before copyright clearance is needed "
             "(the CONTU rule of five)."),
             BORROWING, 5, "ILLMS_COPYRIGHT_COPIES_PER_YEAR", (1, 100)),
    Declared("copyright_recent_years", _("recent years"),
             _("Articles published within this many years before the request count towards the rule."),
             BORROWING, 5, "ILLMS_COPYRIGHT_RECENT_YEARS", (1, 50)),
    # Electronic delivery (our patrons' downloads and the copies we send to partners); the defaults are
    # OCLC Article Exchange practice.
    Declared("edelivery_days", _("download link lasts (days)"), _("Days an electronic copy can be downloaded."),
             DELIVERY, 30, "ILLMS_EDELIVERY_DAYS", (1, 365)),
    Declared("edelivery_max_downloads", _("downloads per copy"),
             _("How many times an electronic copy can be downloaded."),
             DELIVERY, 5, "ILLMS_EDELIVERY_MAX_DOWNLOADS", (1, 100)),
    # Lending: what we do automatically for partners
    Declared("auto_unfill_not_held", _("answer “not held” automatically"),
             _("A partner's request that matches none of our holdings is answered “not held” at once."),
             LENDING, False, "ILLMS_AUTO_UNFILL_NOT_HELD"),
    Declared("lending_auto_renew", _("grant renewals automatically"),
             _("A partner's renewal request within the renewal limit is granted without staff."),
             LENDING, False, "ILLMS_LENDING_AUTO_RENEW"),
    # Privacy (docs/privacy.md)
    Declared("patron_data_retention_days", _("keep patron identity (days)"),
             _("Days after a request is completed or cancelled before the patron's name and contact details "
             "are removed from it."),
             PRIVACY, 90, "ILLMS_PATRON_DATA_RETENTION_DAYS", (1, 3650)),
)

BY_NAME: dict[str, Declared] = {policy.name: policy for policy in POLICIES}


def in_areas(*areas: str) -> list[Declared]:
    """The policies of ``areas``, in declaration order."""
    return [policy for policy in POLICIES if policy.area in areas]


def from_environment(env) -> dict[str, int | bool]:
    """``{setting: value}`` of every policy's ``ILLMS_*`` setting, read by ``env`` (django-environ)."""
    return {policy.setting: (env.bool if policy.type is bool else env.int)(policy.setting, default=policy.default)
            for policy in POLICIES if policy.setting}
