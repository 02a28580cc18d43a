"""The request list's rows as a query prepared once per shape (``utilities.prepared_queries``).

The shape of a list call: who calls (a partner, or staff with the sides they work), which filters it gives and
which serializer's columns it reads; the values: the caller's library and the filters' cleaned values. The
cursor paginator adds its ordering, position and slice to the same prepared query.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from django.db.models import QuerySet
from django_filters.constants import EMPTY_VALUES
from django_filters.filterset import FilterSet

from requests_app.models import IllRequest, Library
from requests_app.utilities.prepared_queries import PreparedValues, Shapes

from .permissions import ApiCaller
from .rows_from_values import RowRepresentation

_SHAPES = Shapes()


def request_rows(*, caller: ApiCaller, filterset_class: type[FilterSet], filters: Mapping[str, Any],
                 representation: RowRepresentation) -> PreparedValues:
    """The rows of the requests ``caller`` may read that the (cleaned) ``filters`` of ``filterset_class`` select,
    as ``representation`` reads them."""
    given = {name: value for name, value in filters.items() if value not in EMPTY_VALUES}
    scope = ("partner",) if caller.is_partner else ("staff", tuple(sorted(caller.roles)))
    # A filter's own rule for a value with a special meaning (django-filter's "null") is left to the ORM.
    special = any(value == getattr(filterset_class.base_filters[name], "null_value", object())
                  for name, value in given.items())

    def build(values: Mapping[str, Any]) -> QuerySet:
        queryset = dataclasses.replace(caller, library=Library(pk=values["library"])).requests()
        filterset = filterset_class(queryset=queryset)
        for name in given:  # as FilterSet.filter_queryset applies the cleaned values
            queryset = filterset.filters[name].filter(queryset, values[f"filter:{name}"])
        return representation.values(queryset)

    return PreparedValues(model=IllRequest, shapes=_SHAPES,
                          shape=(scope, tuple(sorted(given)), representation.key, filterset_class),
                          build=build, prepare=not special,
                          values={"library": caller.library.pk, **{f"filter:{n}": v for n, v in given.items()}})
