"""The read replica: `DATABASE_REPLICA_URL` adds the database alias `replica`
(fastlead/settings.py). Reads that may lag a moment behind the primary — analytics, background
lead exports, pay-per-lead report reads — pass `replica_alias()` to `.using()`; everything
else, every write and every read-your-writes path, stays on the primary. Without the variable
the alias is the primary itself."""

from django.conf import settings

REPLICA = "replica"


def replica_alias() -> str:
    return REPLICA if REPLICA in settings.DATABASES else "default"
