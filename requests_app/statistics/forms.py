"""The filters of the statistics pages: period, partner, role and (for superusers) the member library."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..form_fields import LibrarySymbolField
from ..models import Library, Role
from .queries import Scope
from .survey import last_closed_fiscal_year

#: The longest period one page covers: ten years of history (DESIGN.md's scale).
MAX_DAYS = 366 * 10


def default_period(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The year so far."""
    today = today or timezone.localdate()
    return today.replace(month=1, day=1), today


class StatisticsFilterForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("date", "From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Empty: 1 January."))
    end = forms.DateField(label=pgettext_lazy("date", "To"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}), help_text=_("Included. Empty: today."))
    partner = LibrarySymbolField(label=_("Partner symbol"), required=False,
                                 help_text=_("E.g. EYM. Empty: every partner."))
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Borrowing and lending")), *Role.choices],
                             help_text=_("Top titles: borrowing unless lending alone."))
    library = forms.ModelChoiceField(label=_("Member library"), required=False, empty_label=None,
                                     queryset=Library.objects.filter(is_member=True).order_by("symbol"))

    def __init__(self, *args, choose_library: bool = False, **kwargs) -> None:
        """``choose_library``: the user may look at any member library (superusers); otherwise the
        field is dropped and a ``library`` parameter in the query string is ignored."""
        super().__init__(*args, **kwargs)
        if not choose_library:
            del self.fields["library"]

    def clean(self) -> dict:
        cleaned = super().clean()
        if "start" in self.errors or "end" in self.errors:
            return cleaned
        first, last = default_period()
        start, end = cleaned.get("start") or first, cleaned.get("end") or last
        if start > end:
            raise forms.ValidationError(_("The period starts after it ends: “From” must be on or before “To”."),
                                        code="period_reversed")
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose a period of at most ten years."), code="period_too_long")
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def scope(self, library: Library) -> Scope:
        """The scope of a valid form for ``library`` (the view decides which library the user may see)."""
        data = self.cleaned_data
        return Scope(library=data.get("library") or library, start=data["start"], end=data["end"],
                     partner=data.get("partner"), role=data.get("role") or None)


class AnnualSurveyForm(forms.Form):
    """The annual-survey export's choice: a fiscal year (named by the year it ends in), and for superusers the
    member library."""

    fiscal_year = forms.IntegerField(label=_("Fiscal year"), required=False, min_value=1990,
                                     help_text=_("Named by the calendar year it ends in. Empty: the last one ended."))
    library = forms.ModelChoiceField(label=_("Member library"), required=False, empty_label=None,
                                     queryset=Library.objects.filter(is_member=True).order_by("symbol"))

    def __init__(self, *args, choose_library: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not choose_library:
            del self.fields["library"]

    def clean_fiscal_year(self) -> int:
        year = self.cleaned_data.get("fiscal_year")
        if year is None:
            return last_closed_fiscal_year()
        if year > timezone.localdate().year + 1:
            raise forms.ValidationError(_("That fiscal year has not started yet."), code="future_year")
        return year
