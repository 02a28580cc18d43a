"""The staff roles: groups and the permissions each holds.

The data migration ``0002_staff_roles`` created them with a frozen copy of this table;
``sync_roles`` brings an installation (or a flushed test database) in line with it, and
later migrations call it when a role gains a permission. A migration that takes a permission
away removes it itself (``0016_directory_administrator_role``): ``sync_roles`` only adds.

Every role but one works for a member library (the staff profile's library): each sees only its
library's rows, in the desks and in the Django admin. The directory administrator's role is the
installation's: the directory (libraries, their pickup locations, partner API keys) is shared by
every member library.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy

BORROWING_STAFF = "ILL staff (borrowing)"
LENDING_STAFF = "ILL staff (lending)"
BILLING_STAFF = "Billing staff"
ILL_ADMINISTRATOR = "ILL administrator"
REPORTING = "Reporting (read-only)"
DIRECTORY_ADMINISTRATOR = "Directory administrator"

#: The roles' names as staff read them, in their language (the groups keep the English names: they are data).
ROLE_LABELS = {
    BORROWING_STAFF: gettext_lazy("ILL staff (borrowing)"),
    LENDING_STAFF: gettext_lazy("ILL staff (lending)"),
    BILLING_STAFF: gettext_lazy("Billing staff"),
    ILL_ADMINISTRATOR: gettext_lazy("ILL administrator"),
    REPORTING: gettext_lazy("Reporting (read-only)"),
    DIRECTORY_ADMINISTRATOR: gettext_lazy("Directory administrator"),
}


def role_label(name: str) -> str:
    """A role's name in the active language (a group that is no role: its own name)."""
    return str(ROLE_LABELS.get(name, name))


#: The roles of a member library's staff: what its ILL administrator may give its accounts in the admin.
MEMBER_LIBRARY_ROLES = (BORROWING_STAFF, LENDING_STAFF, BILLING_STAFF, ILL_ADMINISTRATOR, REPORTING)
#: The roles of the installation, given by a superuser only.
INSTALLATION_ROLES = (DIRECTORY_ADMINISTRATOR,)

BILLING_PERMISSIONS = [
    "billing.manage_billing", "billing.view_charge", "billing.view_invoice", "billing.view_budget",
    "billing.add_budget", "billing.change_budget", "billing.view_feeschedule", "billing.add_feeschedule",
    "billing.change_feeschedule", "billing.view_payment", "billing.view_billingsettings",
    "billing.change_billingsettings",
]

ROLES: dict[str, list[str]] = {
    BORROWING_STAFF: [
        "requests_app.work_borrowing", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.view_patronprofile", "requests_app.add_note", "requests_app.view_note",
        "requests_app.view_event",
    ],
    LENDING_STAFF: [
        "requests_app.work_lending", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.add_note", "requests_app.view_note", "requests_app.view_event",
    ],
    BILLING_STAFF: [
        "requests_app.view_illrequest", "requests_app.view_library", "requests_app.view_event",
        *BILLING_PERMISSIONS,
    ],
    ILL_ADMINISTRATOR: [
        "requests_app.work_borrowing", "requests_app.work_lending", "requests_app.view_statistics",
        "requests_app.administer_ill",
        "requests_app.view_illrequest", "requests_app.change_illrequest",
        # Their own library's entry only: its address and contact, and its pickup desks (the admin decides).
        "requests_app.view_library",
        "requests_app.view_pickuplocation", "requests_app.add_pickuplocation",
        "requests_app.change_pickuplocation",
        "requests_app.view_patronprofile", "requests_app.add_patronprofile", "requests_app.change_patronprofile",
        "requests_app.view_staffprofile", "requests_app.add_staffprofile", "requests_app.change_staffprofile",
        # Their own library's staff accounts: create, give member-library roles, deactivate.
        "auth.view_user", "auth.add_user", "auth.change_user",
        "requests_app.view_event", "requests_app.view_note", "requests_app.add_note",
        # Their library's outgoing e-mails: the failed ones, and "send again".
        "requests_app.view_outgoingemail", "requests_app.change_outgoingemail",
        # Their library's commercial document suppliers and price lists; the orders, to read.
        "borrowing.view_documentsupplier", "borrowing.add_documentsupplier", "borrowing.change_documentsupplier",
        "borrowing.view_supplierprice", "borrowing.add_supplierprice", "borrowing.change_supplierprice",
        "borrowing.delete_supplierprice", "borrowing.view_supplierorder",
        *BILLING_PERMISSIONS,
    ],
    REPORTING: [
        "requests_app.view_statistics", "requests_app.view_illrequest", "requests_app.view_library",
        "requests_app.view_event",
    ],
    DIRECTORY_ADMINISTRATOR: [
        "requests_app.view_library", "requests_app.add_library", "requests_app.change_library",
        "requests_app.view_pickuplocation", "requests_app.add_pickuplocation",
        "requests_app.change_pickuplocation",
        "requests_app.view_partnerapikey", "requests_app.add_partnerapikey", "requests_app.change_partnerapikey",
    ],
}


def roles_granting(permission: str) -> list[str]:
    """The roles whose permissions include ``permission`` (``"app.codename"``), in the table's order."""
    return [name for name, codes in ROLES.items() if permission in codes]


def administers_directory(user) -> bool:
    """Whether ``user`` edits the whole directory: a superuser, or who may change any library's entry."""
    return user.is_superuser or user.has_perm("requests_app.change_library")


def sync_roles() -> dict[str, Group]:
    """Create missing role groups and give each the permissions of the table (adds, never removes)."""
    wanted = {code for codes in ROLES.values() for code in codes}
    by_code = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={c.split(".")[1] for c in wanted})
    }
    missing = wanted - set(by_code)
    if missing:
        raise LookupError(f"Permissions not found (run migrate first): {sorted(missing)}")
    groups = {}
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(by_code[c] for c in codes))
        groups[name] = group
    return groups
