"""A paginator for the staff console's very large tables: it counts at most `CAP` rows
(`SELECT COUNT(*) FROM (… LIMIT CAP+1)`), so a changelist over a million leads does not scan
them all on every page. Beyond the cap, staff narrow the list with search and filters."""

from functools import cached_property

from django.core.paginator import Paginator


class CappedCountPaginator(Paginator):
    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.CAP
