"""The valuation, rule by rule, with amounts computed by hand (pure: no database)."""

import pytest

from apps.payperlead import engine
from apps.payperlead.engine import (
    ACTIONS,
    BILLED,
    GROSS,
    SAVED_CAP,
    SAVED_DUPLICATE,
    UNPRICED,
)
from apps.payperlead.tests.builders import at, by_action, card, overall, row, value

LEVELS = {"High": 1000, "Medium": 500, "Low": 200}


def test_each_engagement_level_is_valued_by_the_default_card():
    # given High 10.00, Medium 5.00, Low 2.00 USD
    rows = [
        row(1, "2024-04-01 10:00", action="Form Submission", level="High"),
        row(2, "2024-04-01 10:01", action="Share", level="Medium"),
        row(3, "2024-04-01 10:02", action="Page View", level="Low"),
    ]
    # when
    result = value(rows)
    # then 10 + 5 + 2 = 17.00, all billed
    assert overall(result) == [3, 1700, 1700, 0, 0, 0]
    assert [ln.reason for ln in result.lines] == ["none"] * 3
    assert [ln.billed for ln in result.lines] == [1000, 500, 200]


def test_a_duplicate_is_not_charged_and_points_to_the_action_it_repeats():
    rows = [
        row(1, "2024-04-01 10:00", action="Form Submission", level="High"),
        row(2, "2024-04-03 09:00", action="Form Submission", level="High", lead=2),
        row(3, "2024-04-05 09:00", action="Form Submission", level="High"),
    ]
    lines = by_action(value(rows))
    assert (lines[1].billed, lines[1].reason) == (1000, "none")
    for action_id in (2, 3):
        line = lines[action_id]
        assert (line.value, line.billed, line.savings) == (1000, 0, 1000)
        assert (line.reason, line.duplicate_of) == ("duplicate", 1)


def test_the_same_action_type_at_another_engagement_level_is_not_a_duplicate():
    rows = [
        row(1, "2024-04-01 10:00", action="Form Submission", level="High"),
        row(2, "2024-04-01 11:00", action="Form Submission", level="Low"),
    ]
    assert overall(value(rows))[BILLED] == 1200


def test_another_person_repeating_an_action_is_billed():
    rows = [
        row(1, "2024-04-01 10:00", level="High", person="e:ann@example.com"),
        row(2, "2024-04-01 11:00", level="High", person="e:bob@example.com", lead=2),
    ]
    assert overall(value(rows))[BILLED] == 2000


def test_products_are_billed_independently_even_for_the_same_person_and_actions():
    # given the same person doing the same High action for two products, 11 times each
    rows = []
    for product in (1, 2):
        for i in range(11):
            rows.append(
                row(
                    product * 100 + i,
                    f"2024-04-{i + 1:02d} 10:00",
                    action=f"Step {i}",
                    level="High",
                    product=product,
                    lead=product,
                )
            )
    result = value(rows)
    # then each product is capped on its own: 100.00 billed and 10.00 saved per product
    assert result.totals[(1, 1)][BILLED] == 10000
    assert result.totals[(1, 2)][BILLED] == 10000
    assert result.totals[(1, 1)][SAVED_CAP] == result.totals[(1, 2)][SAVED_CAP] == 1000


def test_the_cap_bills_the_crossing_action_partially_and_saves_the_rest():
    # given 9 distinct High actions (90.00), a Medium (5.00), then a High and a Low
    rows = [row(i, f"2024-04-01 10:{i:02d}", action=f"Step {i}", level="High") for i in range(9)]
    rows += [
        row(20, "2024-04-02 10:00", action="Share", level="Medium"),
        row(21, "2024-04-03 10:00", action="Call", level="High"),
        row(22, "2024-04-04 10:00", action="Like", level="Low"),
    ]
    result = value(rows)
    lines = by_action(result)
    # then 95.00 was billed before the call: it is billed 5.00, 5.00 saved; the like is saved
    assert (lines[21].billed_before, lines[21].billed, lines[21].savings) == (9500, 500, 500)
    assert lines[21].reason == "cap"
    assert (lines[22].billed, lines[22].savings, lines[22].reason) == (0, 200, "cap")
    assert overall(result) == [12, 10700, 10000, 0, 700, 0]


def test_the_cap_is_exact_to_the_cent():
    # given a card valuing every level at 3.33 with a cap of 10.00
    rows = [row(i, f"2024-04-01 10:0{i}", action=f"A{i}", level="High") for i in range(4)]
    result = value(rows, card(333, 333, 333, cap=1000))
    # then 3.33 × 3 = 9.99 and the fourth action is billed the last cent
    assert [ln.billed for ln in result.lines] == [333, 333, 333, 1]
    assert result.lines[3].savings == 332
    assert overall(result)[BILLED] == 1000


def test_duplicates_and_cap_savings_add_up_to_the_gross():
    rows = [row(i, f"2024-04-01 10:{i:02d}", action=f"A{i % 12}", level="High") for i in range(30)]
    total = overall(value(rows))
    # 12 distinct High actions: 100.00 billed, 20.00 over the cap; 18 repeats saved as duplicates
    assert total[GROSS] == 30000
    assert (total[BILLED], total[SAVED_CAP], total[SAVED_DUPLICATE]) == (10000, 2000, 18000)
    assert total[GROSS] == total[BILLED] + total[SAVED_CAP] + total[SAVED_DUPLICATE]


def test_actions_are_evaluated_by_time_then_by_id_whatever_the_input_order():
    # given two identical actions at the same second, listed in reverse id order
    rows = [
        row(8, "2024-04-01 10:00", level="High"),
        row(5, "2024-04-01 10:00", level="High"),
        row(9, "2024-04-01 09:00", level="Low"),
    ]
    lines = by_action(value(rows))
    # then the lower id is the one billed
    assert (lines[5].reason, lines[8].reason, lines[8].duplicate_of) == ("none", "duplicate", 5)
    assert [ln.action_id for ln in value(rows).lines] == [9, 5, 8]


def test_the_card_in_force_when_the_action_happened_values_it():
    april_15 = at("2024-04-15 00:00")
    v1 = card(1000, 500, 200, valid_to=april_15, id=1, version=1)
    v2 = card(1500, 700, 300, valid_from=april_15, id=2, version=2)
    rows = [
        row(1, "2024-04-14 23:59:59", action="A", level="High"),
        row(2, "2024-04-15 00:00:00", action="B", level="High"),
    ]
    lines = by_action(value(rows, v1, v2))
    assert (lines[1].value, lines[1].card.version) == (1000, 1)
    assert (lines[2].value, lines[2].card.version) == (1500, 2)


def test_the_most_specific_card_wins():
    cards = [
        card(100, 100, 100, id=1),
        card(200, 200, 200, lead_type="Social Media", id=2),
        card(300, 300, 300, customer=7, id=3),
        card(400, 400, 400, customer=7, lead_type="Social Media", id=4),
    ]
    rows = [
        row(1, "2024-04-01 10:00", customer=1, lead_type="Website Visit"),
        row(2, "2024-04-01 10:00", customer=1, lead_type="Social Media", person="p2"),
        row(3, "2024-04-01 10:00", customer=7, lead_type="Website Visit", person="p3"),
        row(4, "2024-04-01 10:00", customer=7, lead_type="Social Media", person="p4"),
    ]
    lines = by_action(value(rows, *cards))
    assert [lines[i].value for i in (1, 2, 3, 4)] == [100, 200, 300, 400]
    assert [lines[i].card.scope for i in (1, 2, 3, 4)] == [
        "default",
        "lead_type",
        "customer",
        "customer+lead_type",
    ]


def test_an_unknown_lead_type_uses_the_default_card_and_is_listed():
    cards = [card(id=1), card(700, 350, 100, lead_type="Social Media", id=2)]
    rows = [
        row(1, "2024-04-01 10:00", lead_type="Social Media", level="High"),
        row(2, "2024-04-01 10:00", lead_type="Podcast", level="High", person="p2"),
    ]
    result = value(rows, *cards)
    lines = by_action(result)
    assert (lines[1].value, lines[1].default_card) == (700, False)
    assert (lines[2].value, lines[2].default_card) == (1000, True)
    assert result.default_card_types == {1: {"Podcast"}}


def test_an_unknown_engagement_level_is_not_billed_and_is_counted():
    rows = [
        row(1, "2024-04-01 10:00", action="A", level="Extreme"),
        row(2, "2024-04-01 11:00", action="A", level="High"),
    ]
    result = value(rows)
    lines = by_action(result)
    assert (lines[1].value, lines[1].billed, lines[1].savings) == (0, 0, 0)
    assert lines[1].reason == "unpriced"
    # the unpriced action is no "original": the High one is billed in full
    assert (lines[2].billed, lines[2].reason) == (1000, "none")
    assert overall(result)[UNPRICED] == 1 and overall(result)[ACTIONS] == 2


def test_cards_of_two_currencies_in_one_report_are_refused():
    cards = [card(id=1), card(currency="EUR", lead_type="Social Media", id=2)]
    rows = [
        row(1, "2024-04-01 10:00"),
        row(2, "2024-04-01 10:00", lead_type="Social Media", person="p2"),
    ]
    result = value(rows, *cards)
    with pytest.raises(engine.CurrencyMismatch) as error:
        result.check_currency()
    assert error.value.currencies == ["EUR", "USD"]


def test_an_action_without_a_card_in_force_is_an_error():
    rows = [row(1, "2024-04-01 10:00")]
    with pytest.raises(engine.NoCard):
        value(rows, card(valid_from=at("2024-05-01 00:00")))


def test_a_lowered_cap_bills_nothing_more_once_reached():
    may = at("2024-04-10 00:00")
    v1 = card(cap=5000, valid_to=may, id=1)
    v2 = card(cap=3000, valid_from=may, id=2, version=2)
    rows = [row(i, f"2024-04-0{i + 1} 10:00", action=f"A{i}", level="High") for i in range(4)]
    rows.append(row(9, "2024-04-11 10:00", action="Late", level="High"))
    lines = by_action(value(rows, v1, v2))
    # 40.00 billed under the 50.00 cap; the 30.00 cap of v2 leaves no room
    assert (lines[9].billed_before, lines[9].billed, lines[9].reason) == (4000, 0, "cap")


def test_late_actions_follow_the_settled_state_of_their_period():
    # given a frozen period that billed Form Submission/High and 95.00 in all
    settled = [
        engine.Settled(
            1,
            1,
            1,
            "e:ann@example.com",
            "Form Submission",
            "High",
            at("2024-04-02 10:00"),
            1000,
            "none",
        ),
        engine.Settled(
            2, 1, 1, "e:ann@example.com", "Other", "High", at("2024-04-03 10:00"), 8500, "none"
        ),
    ]
    groups = engine.groups_from_lines(settled)
    # when two late actions of that period arrive, one of them earlier than everything billed
    late = [
        row(10, "2024-04-01 08:00", action="Form Submission", level="High"),
        row(11, "2024-04-01 09:00", action="Share", level="High"),
    ]
    result = engine.valuate(late, engine.CardBook([card()]), groups=groups, adjustment=True)
    lines = by_action(result)
    # then the first duplicates the settled action, the second only gets the room left
    assert (lines[10].reason, lines[10].duplicate_of, lines[10].billed) == ("duplicate", 1, 0)
    assert (lines[11].billed_before, lines[11].billed, lines[11].reason) == (9500, 500, "cap")
    assert all(ln.adjustment for ln in result.lines)


def test_group_order_and_time_order_give_the_same_lines():
    rows = [
        row(
            i,
            f"2024-04-{i % 28 + 1:02d} 10:00",
            action=f"A{i % 5}",
            level=lvl,
            person=f"p{i % 3}",
            product=i % 2 + 1,
        )
        for i, lvl in zip(range(60), ["High", "Medium", "Low"] * 20, strict=True)
    ]
    default = card()
    by_time = value(rows, default)
    grouped = sorted(rows, key=lambda r: (r[2], r[3], r[4], r[8], r[0]))
    by_group = engine.valuate(grouped, engine.CardBook([default]))
    assert by_action(by_time) == by_action(by_group)
    assert by_time.totals == by_group.totals


def test_every_line_adds_up():
    rows = [
        row(i, f"2024-04-01 10:{i:02d}", action=f"A{i % 7}", level=lvl)
        for i, lvl in zip(range(40), list(LEVELS) * 14, strict=False)
    ]
    for line in value(rows, card(cap=3000)).lines:
        assert line.value == line.billed + line.savings
        assert line.billed >= 0 and line.savings >= 0
