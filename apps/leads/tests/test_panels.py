"""The lead page's panel registry: apps above leads add a card without leads importing them."""

from apps.leads import panels


def test_registered_panels_come_in_order_with_their_context_once_each(monkeypatch):
    # given: a clean registry and two panels, the first registered twice
    monkeypatch.setattr(panels, "_panels", [])
    panels.lead_panel_register("a/_card.html", lambda tenant, lead: {"a_rows": [tenant, lead]})
    panels.lead_panel_register("b/_card.html", lambda tenant, lead: {"b_total": 3})
    panels.lead_panel_register("a/_card.html", lambda tenant, lead: {"a_rows": "replaced"})
    # when
    templates, context = panels.lead_panels("t", "l")
    # then
    assert templates == ["a/_card.html", "b/_card.html"]
    assert context == {"a_rows": ["t", "l"], "b_total": 3}


def test_no_panels_means_nothing_to_render(monkeypatch):
    monkeypatch.setattr(panels, "_panels", [])
    assert panels.lead_panels("t", "l") == ([], {})
