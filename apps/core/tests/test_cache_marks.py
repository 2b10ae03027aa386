"""mark_set_or_get: one mark per piece of queued work, whoever asks first sets it."""

import pytest
from django.conf import settings
from django.core.cache import cache

from apps.core.cache_marks import mark_set_or_get


def test_the_first_caller_sets_the_mark_and_the_others_read_it():
    # when two callers ask for the same mark
    first = mark_set_or_get("work:1", 1234.5, 60)
    second = mark_set_or_get("work:1", 9999.0, 60)
    # then the first set it, the second learns what it holds (unchanged)
    assert (first, second) == (None, 1234.5)
    assert cache.get("work:1") == 1234.5
    # and once the mark is gone (the work started) the next caller sets it again
    cache.delete("work:1")
    assert mark_set_or_get("work:1", 42.0, 60) is None


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis: SET … NX GET is Redis's")
def test_on_redis_it_is_one_command(monkeypatch):
    # given the production cache on Redis, counting the commands it sends
    client = cache.client.get_client(write=True)
    sent = []
    real = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *a, **k: sent.append(a) or real(*a, **k))
    # when
    assert mark_set_or_get("work:2", 7.5, 60) is None
    assert mark_set_or_get("work:2", 8.5, 60) == 7.5
    # then each call was one SET with NX and GET, the mark expiring
    assert [command[0] for command in sent] == ["SET", "SET"]
    assert {"NX", "GET", "EX"} <= {str(part).upper() for part in sent[1]}


def test_with_redis_down_the_caller_does_the_work(redis_down):
    # Redis unreachable: as `cache.add` says it added, the caller queues the work itself
    assert mark_set_or_get("work:3", 1.0, 60) is None
    assert mark_set_or_get("work:3", 1.0, 60) is None
