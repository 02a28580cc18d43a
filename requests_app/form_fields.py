"""Form fields shared by the apps' forms."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .models import Library


class LibrarySymbolField(forms.CharField):
    """A library of the directory, typed by its symbol (case does not matter).

    A text box instead of a ``<select>`` of the whole directory: at network scale that select held
    10,500 libraries (a page too large to build quickly, and a list nobody can scroll).
    ``queryset`` says which libraries may be chosen; the cleaned value is the ``Library`` (``None``
    when empty and not required).
    """

    default_error_messages = {"unknown": _("No library in the directory has the symbol %(symbol)s.")}

    def __init__(self, *, queryset: QuerySet[Library] | None = None, **kwargs) -> None:
        kwargs.setdefault("max_length", Library._meta.get_field("symbol").max_length)
        super().__init__(**kwargs)
        self.queryset = queryset if queryset is not None else Library.objects.all()
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("spellcheck", "false")

    def prepare_value(self, value):
        """A model form's initial value is the library's id: show its symbol."""
        if isinstance(value, Library):
            return value.symbol
        if isinstance(value, int):
            return Library.objects.filter(pk=value).values_list("symbol", flat=True).first() or ""
        return value

    def to_python(self, value) -> Library | None:
        if isinstance(value, Library):
            return value
        if isinstance(value, int):  # a disabled field is cleaned from its initial value, the id
            return self.queryset.filter(pk=value).first()
        symbol = (super().to_python(value) or "").strip()
        if not symbol:
            return None
        super().run_validators(symbol)  # the text's own checks (length, no NUL) before it reaches a query
        library = self.queryset.filter(symbol__iexact=symbol).first()
        if library is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown", params={"symbol": symbol})
        return library

    def validate(self, value) -> None:
        if value is None and self.required:
            raise forms.ValidationError(self.error_messages["required"], code="required")

    def run_validators(self, value) -> None:
        """The CharField's validators check the text typed, in ``to_python``, not the library found."""

    def has_changed(self, initial, data) -> bool:
        if self.disabled:
            return False
        return str(self.prepare_value(initial) or "").upper() != str(data or "").strip().upper()
