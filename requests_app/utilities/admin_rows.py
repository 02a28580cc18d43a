"""The rows of a large table's admin list, written as Django writes them, with the work per column done once.

Django's ``items_for_result`` works out each cell from scratch: it looks the column's field up by name, asks
the model admin for its empty-value text (a translation), builds a dictionary of the field's choices (forty
statuses, their labels translated one by one), reverses the row's change URL and parses the list's filters
into it, and renders the selection checkbox through the form widgets' templates. A page of 100 rows and ten
columns does all of it a thousand times: at 1M requests it was most of the admin list's time, the SQL about
a tenth (docs/performance.md).

``rows(cl)`` writes the same HTML (``tests/requests_app/test_admin_rows.py`` compares it with Django's for every
large table, in English and German, with filters kept in the links): what depends only on the column (its
field, CSS classes, empty-value text, translated choices, whether it links) and on the page (the change URL
with its kept filters, around the row's key) is settled before the first row; each cell then costs a look-up
and an escape. A list that edits rows in place, or answers a pop-up, is left to Django.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    _coerce_field_name,
    result_headers,
    result_hidden_fields,
    results,
)
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import display_for_field, display_for_value, lookup_field
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats, numberformat, timezone, translation
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

#: Stands for the row's key in the change URL worked out once per page (digits replace it).
_KEY = "0illms0key0"
#: A foreign key whose row is gone: the empty-value text, without the column's ``nowrap`` (as Django shows it).
_MISSING = object()


def result_list(cl) -> dict:
    """The context Django's ``result_list`` tag gives ``admin/change_list_results.html``, its rows by ``rows``.

    Each row's cells come joined into one (the template writes them one after the other with nothing between),
    so that the template's loop runs once per row instead of once per cell."""
    headers = list(result_headers(cl))
    written = [row if row.form is not None else ResultList(None, [SafeString("".join(row))]) for row in rows(cl)]
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for header in headers if header["sortable"] and header["sorted"]),
        "results": written,
    }


def rows(cl) -> Iterator[ResultList]:
    """Each row of the page as the list of its cells' HTML, as Django's ``results(cl)`` yields them."""
    if cl.formset or cl.is_popup or cl.to_field:
        yield from results(cl)
        return
    columns = _columns(cl)
    for result in cl.result_list:
        yield ResultList(None, [column(result) for column in columns])


def _columns(cl) -> list[Callable[[models.Model], SafeString]]:
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    change_url = _change_url(cl)
    columns = []
    first = True
    for index, name in enumerate(cl.list_display):
        links = _links(cl, first, name)
        write = _cell(cl, index, name, empty, links and change_url, th=links and first)
        if links:
            first = False
        columns.append(write)
    return columns


def _links(cl, is_first: bool, name) -> bool:
    if cl.list_display_links is None:
        return False
    if is_first and not cl.list_display_links:
        return True
    return name in cl.list_display_links


def _change_url(cl) -> Callable[[models.Model], str | None]:
    """The row's change URL, with the list's filters kept (``_changelist_filters``), as Django links it."""
    opts = cl.opts
    pk_name = cl.pk_attname

    def by_django(result) -> str | None:
        try:
            url = cl.url_for_result(result)
        except NoReverseMatch:
            return None
        return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": opts}, url)

    try:
        template = add_preserved_filters(
            {"preserved_filters": cl.preserved_filters, "opts": opts},
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=(_KEY,),
                    current_app=cl.model_admin.admin_site.name))
    except NoReverseMatch:
        return by_django
    if template.count(_KEY) != 1:
        return by_django
    before, after = template.split(_KEY)

    def fast(result) -> str | None:
        pk = getattr(result, pk_name)
        # An integer key is written the same by ``quote`` and by ``reverse``: digits (and a minus sign).
        return f"{before}{pk}{after}" if type(pk) is int else by_django(result)

    return fast


def _cell(cl, index: int, name, empty, change_url, *, th: bool) -> Callable[[models.Model], SafeString]:
    """How one column writes its cell for a row: ``<td class="field-…">…</td>`` (a ``<th>`` with a link for the
    first linked column)."""
    model_admin = cl.model_admin
    classes = [f"field-{_coerce_field_name(name, index)}"]
    field = _field(cl.model, name)
    if field is not None and not field.auto_created:
        if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
            classes.append("nowrap")
        value_of = _field_value(field, empty, avoid_link=bool(change_url))
    elif field is not None and not isinstance(field, (models.DateField, models.TimeField)):
        # The primary key Django made (``id``): shown as a value, not as a field.
        attname = field.attname

        def value_of(result):
            return display_for_value(getattr(result, attname), empty)
    elif name == "action_checkbox" and type(model_admin).action_checkbox is admin.ModelAdmin.action_checkbox:
        classes = ["action-checkbox"]
        value_of = _checkbox
    else:
        value_of = None  # a method, property or callable: Django's own look-up, row by row
    tag = "th" if th else "td"

    def write(result) -> SafeString:
        row_classes = classes
        if value_of is not None:
            shown = value_of(result)
            if shown is _MISSING:
                shown, row_classes = empty, classes[:1]
        else:
            shown, row_classes = _computed(model_admin, name, result, empty, classes)
        shown = conditional_escape(shown)
        attribute = f' class="{" ".join(row_classes)}"'
        if change_url:
            url = change_url(result)
            if url is not None:
                shown = f'<a href="{escape(url)}">{shown}</a>'
        return SafeString(f"<{tag}{attribute}>{shown}</{tag}>")

    return write


def _field(model, name) -> models.Field | None:
    """The model field a ``list_display`` entry names (not a related-object path, not a method), as
    ``lookup_field`` finds it."""
    if callable(name):
        return None
    try:
        field = model._meta.get_field(name)
    except (FieldDoesNotExist, TypeError):
        return None
    if field.is_relation and (field.many_to_many or field.one_to_many):
        return None
    if field.is_relation and name != field.name:  # the ``_id`` column of a foreign key
        return None
    return field


def _field_value(field: models.Field, empty, *, avoid_link: bool) -> Callable[[models.Model], object]:
    if isinstance(field.remote_field, models.ManyToOneRel):
        def related(result):
            try:
                shown = getattr(result, field.name)
            except ObjectDoesNotExist:
                return _MISSING
            return empty if shown is None else shown
        return related
    flatchoices = getattr(field, "flatchoices", None)
    if flatchoices:
        try:
            # Translated once for the page (the language is the request's throughout).
            labels = {value: str(label) for value, label in flatchoices}
        except TypeError:  # unhashable choices: Django's own way
            labels = None
        if labels is not None:
            attname = field.attname

            def chosen(result):
                value = getattr(result, attname)
                if isinstance(value, str) and value.strip() == "":
                    value = ""
                return labels.get(value, empty)
            return chosen

    attname = field.attname
    if not isinstance(field, models.BooleanField) and isinstance(field, models.DateTimeField | models.IntegerField
                                                                 | models.FloatField):
        # What ``display_for_field`` writes, with the language's formats looked up once for the page instead of
        # in every cell (``get_format`` asks the language's format modules and settings three times for a number).
        if isinstance(field, models.DateTimeField):
            pattern = formats.get_format("DATETIME_FORMAT")

            def moment(result):
                value = getattr(result, attname)
                if value in field.empty_values:
                    return empty
                return dateformat.format(timezone.template_localtime(value), pattern)
            return moment
        language = translation.get_language()
        separators = (formats.get_format("DECIMAL_SEPARATOR", language), None,
                      formats.get_format("NUMBER_GROUPING", language),
                      formats.get_format("THOUSAND_SEPARATOR", language))

        def number(result):
            value = getattr(result, attname)
            if value in field.empty_values:
                return empty
            return numberformat.format(value, *separators, force_grouping=False, use_l10n=True)
        return number

    def shown(result):
        value = getattr(result, attname)
        if isinstance(value, str) and value.strip() == "":
            value = ""
        return display_for_field(value, field, empty, avoid_link=avoid_link)
    return shown


def _checkbox(result) -> SafeString:
    """Django's selection checkbox (``ModelAdmin.action_checkbox``), without a template per row."""
    label = format_html(gettext("Select this object for an action - {}"), str(result))
    return format_html('<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
                       helpers.ACTION_CHECKBOX_NAME, str(result.pk), label)


def _computed(model_admin, name, result, empty, classes: list[str]) -> tuple[object, list[str]]:
    """A column Django works out by calling something: a model admin's method, a model's method or property."""
    try:
        field, attr, value = lookup_field(name, result, model_admin)
    except ObjectDoesNotExist:
        return empty, classes
    empty = getattr(attr, "empty_value_display", empty)
    if isinstance(value, str) and value.strip() == "":
        value = ""
    if field is not None and not field.auto_created:  # a field reached another way than ``_field`` knows
        return display_for_field(value, field, empty), classes
    boolean = getattr(attr, "boolean", False)
    if isinstance(attr, property) and hasattr(attr, "fget"):
        boolean = getattr(attr.fget, "boolean", False)
    shown = display_for_value(value, empty, boolean)
    if isinstance(value, (datetime.date, datetime.time)):
        classes = [*classes, "nowrap"]
    return shown, classes

