"""Money: integer minor units plus an ISO 4217 currency; no floats, no mixed currencies."""

from decimal import Decimal

import pytest

from apps.core.money import Money


def test_money_adds_and_subtracts_in_the_same_currency():
    price = Money(499000, "RUB")

    assert price + Money(1000, "RUB") == Money(500000, "RUB")
    assert price - Money(99000, "RUB") == Money(400000, "RUB")
    assert price * 3 == Money(1497000, "RUB")


@pytest.mark.parametrize("operation", ["add", "sub", "lt", "le"])
def test_money_refuses_arithmetic_across_currencies(operation):
    rub, eur = Money(100, "RUB"), Money(100, "EUR")
    operations = {
        "add": lambda: rub + eur,
        "sub": lambda: rub - eur,
        "lt": lambda: rub < eur,
        "le": lambda: rub <= eur,
    }

    with pytest.raises(ValueError, match="Currency mismatch"):
        operations[operation]()


@pytest.mark.parametrize("other", [100, 1.5, Decimal("1.00")])
def test_money_refuses_to_mix_with_plain_numbers(other):
    with pytest.raises(TypeError):
        Money(100, "RUB") + other


@pytest.mark.parametrize("factor", [1.5, Decimal("2"), True])
def test_money_multiplies_only_by_an_integer(factor):
    with pytest.raises(TypeError):
        Money(100, "RUB") * factor


@pytest.mark.parametrize("amount", [1.5, Decimal("1.5"), "100", True])
def test_money_amount_must_be_integer_minor_units(amount):
    with pytest.raises(TypeError):
        Money(amount, "RUB")


@pytest.mark.parametrize("currency", ["rub", "RU", "RUBL", "R1B", ""])
def test_money_currency_must_be_an_iso_4217_code(currency):
    with pytest.raises(ValueError):
        Money(100, currency)


@pytest.mark.parametrize(
    ("value", "currency", "minor"),
    [
        ("0.005", "EUR", 1),  # half-up, not banker's rounding
        ("0.015", "EUR", 2),
        ("0.025", "EUR", 3),  # banker's rounding would give 2
        ("0.0049", "EUR", 0),
        ("19.99", "EUR", 1999),
        ("4990", "RUB", 499000),
        ("0.000001234", "USD", 0),
        ("-0.005", "EUR", -1),  # half away from zero for refunds too
        ("100.5", "JPY", 101),  # no minor units
        ("1.2345", "KWD", 1235),  # three minor digits
    ],
)
def test_money_from_decimal_rounds_half_up_to_minor_units(value, currency, minor):
    assert Money.from_decimal(Decimal(value), currency) == Money(minor, currency)


def test_money_from_decimal_accumulated_token_costs_round_once():
    # given: many fractional AI token costs, summed as Decimal first
    costs = [Decimal("0.0003")] * 25  # 0.0075 USD

    # when: rounded once, when they become a charge
    charge = Money.from_decimal(sum(costs, Decimal(0)), "USD")

    # then
    assert charge == Money(1, "USD")


def test_money_round_trips_to_decimal_and_formats_with_currency():
    price = Money(1999, "EUR")

    assert price.to_decimal() == Decimal("19.99")
    assert str(price) == "19.99 EUR"
    assert str(Money(500, "JPY")) == "500 JPY"


def test_money_is_immutable_and_hashable():
    price = Money(100, "RUB")

    with pytest.raises(AttributeError):
        price.amount = 5  # type: ignore[misc]
    assert {price, Money(100, "RUB")} == {price}
    assert Money.zero("RUB") == Money(0, "RUB")
    assert Money(100, "RUB") != Money(100, "EUR")
