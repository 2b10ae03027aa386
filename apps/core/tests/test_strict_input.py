"""Input the OpenAPI schema calls invalid is refused with 400 and a field error: values of
another JSON type, null where the field is not nullable, limit/offset that are not integers in
range (schemathesis' negative_data_rejection found each of these accepted)."""

import pytest
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from apps.core.api import DefaultPagination, StrictFieldsMixin
from apps.tenants.models import Tenant


class Sample(StrictFieldsMixin, serializers.Serializer):
    name = serializers.CharField(required=False)
    flag = serializers.BooleanField(required=False)
    count = serializers.IntegerField(required=False)
    kind = serializers.ChoiceField(choices=["a", "b"], required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    note = serializers.CharField(required=False, allow_null=True)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": 12}, "name"),
        ({"name": True}, "name"),
        ({"name": None}, "name"),
        ({"flag": "yes"}, "flag"),
        ({"flag": 1}, "flag"),
        ({"count": "12"}, "count"),
        ({"count": True}, "count"),
        ({"kind": 1}, "kind"),
        ({"tags": "a"}, "tags"),
        ({"extra": 1}, "extra"),
    ],
)
def test_a_strict_serializer_refuses_other_json_types(data, field):
    serializer = Sample(data=data)
    assert not serializer.is_valid()
    assert field in serializer.errors


def test_a_strict_serializer_takes_the_documented_types():
    data = {"name": "x", "flag": False, "count": 3, "kind": "a", "tags": ["t"], "note": None}
    serializer = Sample(data=data)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data == data


@pytest.mark.parametrize(
    "query", ["limit=abc", "limit=", "limit=0", "limit=501", "offset=-1", "offset=1.5"]
)
def test_paging_refuses_what_is_not_an_integer_in_range(query):
    request = APIRequestFactory().get(f"/api/v1/x/?{query}")
    request.query_params = request.GET
    with pytest.raises(serializers.ValidationError) as error:
        DefaultPagination().paginate_queryset(Tenant.objects.none(), request)
    assert set(error.value.detail) <= {"limit", "offset"}


def test_paging_documents_its_bounds():
    parameters = {
        p["name"]: p["schema"] for p in DefaultPagination().get_schema_operation_parameters(None)
    }
    assert parameters["limit"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert parameters["offset"] == {"type": "integer", "minimum": 0}
