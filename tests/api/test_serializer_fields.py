"""The API's serializers work out their fields from the model once per class, and each instance gets its own."""

from __future__ import annotations

import pytest
from rest_framework import serializers

import billing.api.serializers  # noqa: F401 - registers its serializers as subclasses
import lending.api.views  # noqa: F401
import requests_app.partners.api.serializers as request_serializers
from requests_app.models import IllRequest
from requests_app.partners.api.fields_built_once import ModelSerializer
from tests.factories import LendingRequestFactory


def _all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


API_SERIALIZERS = sorted({cls for cls in _all_subclasses(ModelSerializer) if cls.__module__.split(".")[0] in
                          {"requests_app", "billing", "lending", "borrowing"} and hasattr(cls, "Meta")},
                         key=lambda cls: cls.__qualname__)


def test_every_model_serializer_of_the_api_is_built_on_the_base():
    assert {cls.__name__ for cls in API_SERIALIZERS} >= {
        "RequestCreateSerializer", "PartnerRequestDetailSerializer", "StaffRequestDetailSerializer",
        "PartnerEventSerializer", "InvoiceSerializer", "HoldingAvailabilitySerializer"}


@pytest.mark.django_db  # a related field's repr shows its queryset
@pytest.mark.parametrize("serializer_class", API_SERIALIZERS, ids=lambda cls: cls.__qualname__)
def test_the_fields_are_the_ones_drf_would_build(serializer_class):
    serializer_class()  # the first instance works them out; the second is served from that
    ours = serializer_class().get_fields()
    drf = serializers.ModelSerializer.get_fields(serializer_class())
    assert list(ours) == list(drf)
    assert {name: repr(field) for name, field in ours.items()} == {name: repr(field) for name, field in drf.items()}


@pytest.mark.parametrize("serializer_class", API_SERIALIZERS, ids=lambda cls: cls.__qualname__)
def test_the_validators_are_the_ones_drf_would_build(serializer_class):
    serializer_class().get_validators()  # the first instance works them out; the second is served from that
    ours = serializer_class().get_validators()
    drf = serializers.ModelSerializer.get_validators(serializer_class())
    assert [repr(validator) for validator in ours] == [repr(validator) for validator in drf]


class LendingIdSerializer(ModelSerializer):
    """The fields of a unique constraint of the model: DRF gives the serializer a validator for it."""

    class Meta:
        model = IllRequest
        fields = ["role", "library", "partner", "requesting_agency_request_id"]


@pytest.mark.django_db
def test_a_unique_constraint_the_fields_cover_is_still_checked_by_the_validator_kept():
    request = LendingRequestFactory(requesting_agency_request_id="THEIRS-1")
    LendingIdSerializer().get_validators()
    again = LendingIdSerializer(data={"role": "lending", "library": request.library_id,
                                      "partner": request.partner_id, "requesting_agency_request_id": "THEIRS-1"})

    assert [type(v).__name__ for v in again.get_validators()] == ["UniqueTogetherValidator"]
    assert not again.is_valid()


def test_two_instances_never_share_a_field():
    detail = request_serializers.StaffRequestDetailSerializer
    first, second = detail(), detail()
    for name in ("title", "library", "events", "patron_name"):
        assert first.fields[name] is not second.fields[name]
        assert (first.fields[name].parent, second.fields[name].parent) == (first, second)
    assert first.fields["events"].child is not second.fields["events"].child


def test_a_second_instance_builds_no_field_from_the_model(monkeypatch):
    request_serializers.RequestCreateSerializer().fields  # noqa: B018 - the first instance builds them
    built = []
    original = serializers.ModelSerializer.build_field
    monkeypatch.setattr(serializers.ModelSerializer, "build_field",
                        lambda self, *args, **kwargs: built.append(args[0]) or original(self, *args, **kwargs))
    assert "title" in request_serializers.RequestCreateSerializer().fields
    assert built == []


def test_a_subclass_does_not_take_its_parents_fields():
    parent = request_serializers.PartnerRequestSerializer().fields
    child = request_serializers.PartnerRequestDetailSerializer().fields
    assert "events" in child and "events" not in parent


def test_binding_an_instances_fields_leaves_the_class_prototypes_unbound():
    detail = request_serializers.PartnerRequestDetailSerializer
    detail().fields  # noqa: B018 - builds the prototypes, binds the copies
    bound = detail().fields
    for name in ("title", "status_label", "library", "events"):
        prototype = detail._fields_built[name]
        assert prototype is not bound[name]
        assert (prototype.field_name, prototype.parent) == (None, None)
        assert (bound[name].field_name, bound[name].parent.__class__) == (name, detail)
