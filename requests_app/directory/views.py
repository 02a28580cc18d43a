"""The partner directory for staff: a searchable list and one page per partner, read-only.

Any staff member of a member library may read it; the directory entry itself is edited in the Django
admin by directory administrators (``roles.administers_directory``), who get a link there.
"""

from __future__ import annotations

import functools

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy

from .. import roles
from ..access import member_library
from ..models import Library
from ..utilities.pagination import keyset_page
from . import selectors
from .sections import sections_for

PAGE_SIZE = 25
REFUSAL = gettext_lazy("The partner directory is for the staff of a member library.")


class PartnerSearchForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Name, symbol or ISIL, city"), required=False, max_length=200, strip=True)
    country = forms.RegexField(label=gettext_lazy("Country"), required=False, regex=r"^[A-Za-z]{2}$", max_length=2,
                               strip=True, error_messages={
                                   "invalid": gettext_lazy("A country is its two-letter ISO code, e.g. DE or US.")})


def directory_access(view):
    """Signed in as staff of a member library (passed on as ``library``); patrons and others get the 403 page."""
    @login_required
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        return view(request, member_library(request.user, refusal=REFUSAL), *args, **kwargs)
    return wrapper


def _admin_link(user, partner: Library) -> str:
    if not (user.is_staff and roles.administers_directory(user)):
        return ""
    return reverse("admin:requests_app_library_change", args=[partner.pk])


@directory_access
def partner_list(request: HttpRequest, library: Library) -> HttpResponse:
    form = PartnerSearchForm(request.GET or None)
    partners = selectors.partners_of(library)
    if form.is_bound and form.is_valid():
        partners = selectors.search(partners, q=form.cleaned_data["q"], country=form.cleaned_data["country"])
    elif form.is_bound:
        partners = partners.none()
    page = keyset_page(partners, ordering=["name"], cursor=request.GET.get("cursor"), size=PAGE_SIZE)
    standings = selectors.standings(library)
    rows = [{"partner": p, "standing": standings.get(p.symbol) or selectors.Standing(p.symbol),
             "reciprocal": library.is_reciprocal_with(p)} for p in page]
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(request, "directory/list.html", {
        "library": library, "form": form, "page": page, "rows": rows, "query": query.urlencode(),
        "window_days": selectors.WINDOW_DAYS,
    })


@directory_access
def partner_detail(request: HttpRequest, library: Library, symbol: str) -> HttpResponse:
    partner = selectors.partners_of(library).filter(symbol=symbol).first()
    if partner is None:
        raise Http404("No such partner in the directory.")
    return render(request, "directory/detail.html", {
        "library": library, "partner": partner, "site_language": settings.LANGUAGE_CODE,
        "iso18626_endpoint": selectors.public_endpoint(partner.iso18626_endpoint),
        "rest_endpoint": selectors.public_endpoint(partner.rest_endpoint),
        "sru_endpoint": selectors.public_endpoint(partner.sru_base_url),
        "standing": selectors.standing(library, partner),
        "reciprocity": selectors.reciprocity(library, partner),
        "admin_link": _admin_link(request.user, partner),
        "window_days": selectors.WINDOW_DAYS,
        "sections": [(section, section.edit_url if section.edit_url and request.user.has_perm(section.edit_permission)
                      else "") for section in sections_for(library, partner)],
    })
