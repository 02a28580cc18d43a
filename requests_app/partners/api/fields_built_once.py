"""The API's base ``ModelSerializer``: a serializer's fields are worked out from its model once per class,
not for every instance. A bypass of DRF's field building kept for speed.

What it buys: ``make bench``'s *Partner API create a request: share of the constant endpoint's
throughput* (target 0.3, below the floor the same run measures), and the detail and list calls;
docs/performance.md, "API serializers work out their fields once per class", has the figures.

DRF's ``ModelSerializer`` builds its fields for every instance it makes: for each name in ``Meta.fields``
it reads the model field's options, choices and validators and builds a serializer field from them
(``build_field``): 38–40 fields for a request's detail, 24 for the create body, several serializers per
call. What they are depends only on the class (its ``Meta`` and declared fields), never on the instance,
its data or its context, so it is worked out once; each instance then gets its own copy, and the instances
never share a field (a field is bound to its serializer). The serializer's own validators are kept the same way.
``tests/api/test_serializer_fields.py`` checks the fields and validators equal DRF's own for every API
serializer.

DRF copies a field by calling its class again with deep copies of its arguments (``Field.__deepcopy__``):
about half a build, 420 field constructions for a create call's serializers. A field that holds no other field
is copied as an object instead (``copy.copy``: its own attributes, sharing the prototype's immutable options,
validators and choices, which DRF never changes after construction); the prototype itself is never bound, so
binding a copy sets names and parent on the copy only. A field holding fields (a nested serializer, a list of
them, a many-related field or a list field, each bound to its children when made) is copied DRF's way.
"""

from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built")  # this class's own, not a parent's
        if built is None:
            cls._fields_built = built = super().get_fields()
            cls._fields_copied = tuple((name, field, copy.deepcopy if _holds_fields(field) else copy.copy)
                                       for name, field in built.items())
        return {name: copied(field) for name, field, copied in cls._fields_copied}

    def get_validators(self) -> list:
        # The serializer's own validators (the model's unique-together and unique-for-date rules its fields cover)
        # depend on its class alone too; DRF works them out from the model's constraints on every validation, a
        # tenth of a create's time. DRF's validators keep no state: they are given the serializer when called.
        cls = type(self)
        built = cls.__dict__.get("_validators_built")
        if built is None:
            cls._validators_built = built = tuple(super().get_validators())
        return list(built)


def _holds_fields(field: serializers.Field) -> bool:
    return isinstance(field, serializers.BaseSerializer) or any(
        isinstance(value, serializers.Field) for value in vars(field).values())
