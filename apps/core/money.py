"""Money as integer minor units plus an ISO 4217 currency. Never floats."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format

# Minor units per currency (ISO 4217 exponent); default 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}


def exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units (kopecks, cents)
    currency: str

    def __post_init__(self):
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"Not an ISO 4217 currency code: {self.currency!r}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, value: Decimal | str, currency: str) -> Money:
        """Round a major-unit decimal half-up to minor units (e.g. AI token costs)."""
        scale = Decimal(10) ** exponent(currency)
        minor = (Decimal(value) * scale).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return cls(int(minor), currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-exponent(self.currency))

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError("Money can only be combined with Money")
        if other.currency != self.currency:
            raise ValueError(f"Currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int) or isinstance(factor, bool):
            raise TypeError("Money can only be multiplied by an int")
        return Money(self.amount * factor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __str__(self) -> str:
        return f"{self.to_decimal():.{exponent(self.currency)}f} {self.currency}"


def format_money(amount: int, currency: str) -> str:
    """10,00 USD in Russian, 10.00 USD in English — for people (the active language's
    decimal separator and grouping)."""
    places = exponent(currency)
    value = number_format(
        Money(amount, currency).to_decimal(), places, use_l10n=True, force_grouping=True
    )
    return f"{value} {currency}"
