"""Analytics reads on a replica when `DATABASE_REPLICA_URL` is set (off by default).

Settings add the alias `replica` only when the variable is set (apps/core/replica.py). The
router sends reads of analytics' own models there; analytics selectors pass `read_alias()` for
their raw reads of leads. Writes (the rollup recomputes) always go to the primary: a lagging replica
must not be the source of a rollup.
"""

from django.conf import settings

from apps.core.replica import REPLICA
from apps.core.replica import replica_alias as read_alias

__all__ = ["REPLICA", "AnalyticsReplicaRouter", "read_alias"]


class AnalyticsReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label == "analytics" and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return False if db == REPLICA else None
