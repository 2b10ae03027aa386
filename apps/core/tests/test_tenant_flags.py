"""Per-tenant cached flags: computed once, invalidated by a change, read together in a block."""

from unittest import mock

import pytest
from django.core.cache import caches

from apps.core.tenant_flags import TenantFlag, tenant_flags_prefetched

pytestmark = pytest.mark.django_db

computed: list[str] = []


def _answer(tenant_id: str) -> str:
    computed.append(tenant_id)
    return f"answer-{tenant_id}"


FLAG = TenantFlag("test-flag", _answer)


@pytest.fixture(autouse=True)
def _fresh():
    computed.clear()


def test_a_flag_is_computed_once_then_read_until_invalidated():
    assert FLAG.get("t1") == "answer-t1"
    assert FLAG.get("t1") == "answer-t1"
    assert computed == ["t1"]
    FLAG.invalidate("t1")
    assert FLAG.get("t1") == "answer-t1"
    assert computed == ["t1", "t1"]


def test_a_block_reads_every_flag_of_its_tenant_in_one_round_trip_and_nested_blocks_share_it():
    FLAG.get("t2")  # cached
    cache = caches["default"]
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        tenant_flags_prefetched("t2"),
    ):
        FLAG.get("t2")
        with tenant_flags_prefetched("t2"):  # e.g. an event raised by the same request
            FLAG.get("t2")
        FLAG.get("t2")
    assert get_many.call_count == 1
    assert computed == ["t2"]


def test_a_nested_block_for_another_tenant_reads_its_own():
    FLAG.get("t3"), FLAG.get("t4")
    cache = caches["default"]
    with (
        mock.patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
        tenant_flags_prefetched("t3"),
    ):
        assert FLAG.get("t3") == "answer-t3"
        with tenant_flags_prefetched("t4"):
            assert FLAG.get("t4") == "answer-t4"
        assert FLAG.get("t3") == "answer-t3"
    assert get_many.call_count == 2
