"""Values read back from the Redis cache are what was stored (the client's decode skips the
int() attempt for pickles; see ResilientClient.decode)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: its client decodes")

VALUES = [
    0, 7, -3, 2**70, True, False, None, 3.5, "42", "", "текст", b"\x80raw", [1, "a"],
    {"tenant": "x", "n": 1}, (1, 2), Decimal("12.30"), datetime(2026, 12, 5, tzinfo=UTC),
]  # fmt: skip


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_a_value_reads_back_equal_and_of_its_type(value):
    cache.set("v", value, 60)
    got = cache.get("v", "missing")
    assert (got, type(got)) == (value, type(value))
    assert cache.get_many(["v"]) == {"v": value}


def test_pickles_skip_the_int_attempt(monkeypatch):
    # given a stored object (a pickle) and an int (stored as digits)
    cache.set_many({"obj": {"a": 1}, "num": 12}, 60)
    client = cache.client
    tried = []
    real_loads = client._serializer.loads
    monkeypatch.setattr(client._serializer, "loads", lambda v: tried.append(v[:1]) or real_loads(v))
    # when both are read, then the pickle went straight to pickle, the int never did
    assert cache.get_many(["obj", "num"]) == {"obj": {"a": 1}, "num": 12}
    assert tried == [b"\x80"]
