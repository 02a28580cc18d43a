"""Form widgets shared by the apps' forms."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django_filters.widgets import BaseCSVWidget


class Select(forms.Select):
    """A ``<select>`` built in Python instead of through a template per ``<option>`` (named as Django's, whose
    drop-in it is: crispy-forms gives a field its widget's class name as a CSS class).

    Django renders every option through ``select_option.html`` and its attributes through ``attrs.html``:
    the queue's filter selects (its 40-odd states, formats and sorts) took about 7 ms of each queue page.
    The markup is the same: the select's attributes, option groups, ``selected`` on the chosen options.
    """

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            inner = format_html_join("", '<option value="{}"{}>{}</option>',
                                     ((option["value"], flatatt(option["attrs"]), option["label"])
                                      for option in options))
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, inner) if group_name
                          else inner)
        return format_html("<select name=\"{}\"{}>{}</select>", widget["name"], flatatt(widget["attrs"]),
                           mark_safe("".join(groups)))


class CSVSelect(BaseCSVWidget, Select):
    """django-filter's ordering select (``OrderingFilter``), built as ``Select``."""
