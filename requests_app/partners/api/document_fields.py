"""Serializer fields that answer and read exactly what the API's OpenAPI document says.

Values that are not there, in an answer:

- every field of an answer is always present;
- a free-text field with no value is ``""`` (a title, a note, an address line);
- a field whose value has a form or a closed list (an e-mail address, a URI, a choice such as
  ``copyright_compliance``, a date, an amount) is ``null`` when it has no value, never ``""``, and the
  document marks it ``nullable``.

The database keeps such a blank column as ``""`` (Django's convention for text columns); the fields
here show it as ``null``. :class:`ModelSerializer` uses them for the read-only fields of every API
serializer, so a new model field follows the rule without being named anywhere.

Values in a request body are read as the document types them: text only from a JSON string (DRF
would take ``12`` for ``"12"``), an amount only from a string such as ``"12.50"``.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import fields_built_once


class _BlankIsNull:
    """A field of an answer that shows a stored ``""`` as ``null`` (and is documented nullable, not blank)."""

    blank_is_null = True

    def to_representation(self, value: Any) -> Any:
        if value == "":
            return None
        return super().to_representation(value)


class BlankIsNullChoiceField(_BlankIsNull, serializers.ChoiceField):
    pass


class BlankIsNullEmailField(_BlankIsNull, serializers.EmailField):
    pass


class BlankIsNullURLField(_BlankIsNull, serializers.URLField):
    pass


_FORMATTED = {models.EmailField: BlankIsNullEmailField, models.URLField: BlankIsNullURLField}


def shows_blank_as_null(field: serializers.Field) -> bool:
    return getattr(field, "blank_is_null", False)


class TextField(serializers.CharField):
    """Text, read only from a JSON string."""

    default_error_messages = {"not_text": _("Send text, as a JSON string.")}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_text")
        return super().to_internal_value(data)


#: Up to seven digits and two decimals; empty means none, as ``null`` does.
AMOUNT_PATTERN = r"^(\d{1,7}(\.\d{1,2})?)?$"


@extend_schema_field({"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN, "nullable": True,
                      "example": "25.00"})
class AmountField(serializers.DecimalField):
    """An amount of money a request body states: a string of digits with up to two decimals; ``null`` or ``""``
    for none."""

    default_error_messages = {"not_amount": _("Send an amount as a string such as \"25.00\", or null.")}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_digits=9, decimal_places=2, min_value=0, allow_null=True, **kwargs)

    def to_internal_value(self, data: Any):
        if not isinstance(data, str):
            self.fail("not_amount")
        return super().to_internal_value(data)


class ModelSerializer(fields_built_once.ModelSerializer):
    """The base of the API's model serializers: fields built once per class, values as the document says."""

    serializer_field_mapping = {
        **fields_built_once.ModelSerializer.serializer_field_mapping,
        models.CharField: TextField,
        models.TextField: TextField,
    }

    def build_standard_field(self, field_name: str, model_field: models.Field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if not model_field.blank or field_name not in getattr(self.Meta, "read_only_fields", ()):
            return field_class, kwargs
        if model_field.choices and issubclass(field_class, serializers.ChoiceField):
            return BlankIsNullChoiceField, {**kwargs, "allow_null": True}
        for model_class, blank_is_null in _FORMATTED.items():
            if isinstance(model_field, model_class):
                return blank_is_null, {**kwargs, "allow_null": True}
        return field_class, kwargs
