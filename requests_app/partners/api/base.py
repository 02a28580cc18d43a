"""The API's base ``ModelSerializer``: a serializer's fields are worked out from its model once per process.

DRF's ``ModelSerializer`` builds its fields for every instance it makes: for each name in ``Meta.fields``
it reads the model field's options, choices and validators and builds a serializer field from them
(``build_field``). A request's detail representation has 38–40 such fields, the create body 24; building
them cost 1.5–2 ms per serializer, several per API call. What they are depends only on the class (its
``Meta`` and declared fields), never on the instance, its data or its context, so it is worked out once;
each instance then gets a deep copy, as DRF itself gives each instance a deep copy of the declared
fields. A copy costs about half a build, and the instances never share a field (a field is bound to
its serializer).
"""

from __future__ import annotations

import copy

from rest_framework import serializers


class ModelSerializer(serializers.ModelSerializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        cls = type(self)
        built = cls.__dict__.get("_fields_built")  # this class's own, not a parent's
        if built is None:
            built = super().get_fields()
            cls._fields_built = built
        return copy.deepcopy(built)
