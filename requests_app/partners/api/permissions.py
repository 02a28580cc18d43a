"""Who may call the API and what they see: a partner library (API key) or a staff member (session).

A partner sees the requests between it and our member libraries, both sides. A staff
member sees their member library's requests of the sides they work (``work_borrowing``,
``work_lending``). Patrons and staff without a library or a queue permission get 403,
anonymous callers 401.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from requests_app import selectors
from requests_app.models import IllRequest, Library, Role
from requests_app.workflow import Actor, registry

from .authentication import partner_library

_NOT_SET = object()


@dataclass(frozen=True)
class ApiCaller:
    """The caller of one API request, with the scope the API gives it."""

    #: A partner: its own library. Staff: the member library they work for.
    library: Library
    actor: Actor
    #: Our sides (``Role``) whose requests the caller sees and may act on.
    roles: frozenset[str]
    is_partner: bool

    def requests(self) -> QuerySet[IllRequest]:
        """The requests this caller may read; anything else answers 404."""
        if self.is_partner:
            return selectors.partner_requests(partner=self.library)
        return selectors.staff_requests(library=self.library, roles=self.roles)


def api_caller(request) -> ApiCaller | None:
    """The partner or staff member behind ``request`` (a DRF request), or ``None`` for anyone else."""
    cached = getattr(request, "_illms_api_caller", _NOT_SET)
    if cached is _NOT_SET:
        cached = _find_caller(request)
        request._illms_api_caller = cached
    return cached


def _find_caller(request) -> ApiCaller | None:
    partner = partner_library(request)
    if partner is not None:
        return ApiCaller(library=partner, actor=Actor.partner(partner), roles=frozenset(Role.values), is_partner=True)
    user = request.user
    if not user.is_authenticated or not user.is_active:
        return None
    library = selectors.staff_library(user)
    if library is None:
        return None
    roles = frozenset(w.role for w in registry if w.staff_permission and user.has_perm(w.staff_permission))
    if not roles:
        return None
    return ApiCaller(library=library, actor=Actor.staff(user), roles=roles, is_partner=False)


class IsPartnerOrStaff(BasePermission):
    """A partner library with a usable key, or a staff member with a library and a queue to work."""

    message = _("This API is for partner libraries (with an API key) and ILL staff of a member library.")

    def has_permission(self, request, view) -> bool:
        return api_caller(request) is not None


class IsPartner(BasePermission):
    """Only partner libraries: creating a request to borrow from us is theirs."""

    message = _("Only partner libraries create requests here; staff create borrowing requests on the staff "
                "pages.")

    def has_permission(self, request, view) -> bool:
        caller = api_caller(request)
        return caller is not None and caller.is_partner
