"""Forms of the inbox pages: the inbox filters, the reply box, the routing setting."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.channels.models import ChannelKind
from apps.tenants.models import LeadRouting

MAX_BODY = 10_000  # the longest text the reply box takes at all (providers' limits are lower)


class InboxFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    status = forms.ChoiceField(
        label=_("Conversations"),
        required=False,
        choices=(("open", _("Open")), ("closed", _("Closed"))),
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            ("", _("All channels")),
            *ChannelKind.choices,
            ("webchat", _("Web chat")),
        ]
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            ("me", _("Me")),
            ("none", _("Nobody")),
            *[(str(m.user_id), m.user.name or m.user.email) for m in members],
        ]


class ReplyForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"))
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write a reply…")}),
    )
    subject = forms.CharField(label=_("Subject"), required=False, max_length=300)
    # One id per reply box: a double click or a retried post queues the message once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, options=(), templates=None, **kwargs):
        """`templates`: the channel's approved templates when only those may go (WhatsApp
        outside its 24-hour window); the box then asks for a template and its parameters."""
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [(o.value, o.label) for o in options]
        self.templates = templates
        if templates is None:
            return
        self.fields["body"].required = False
        self.fields["template"] = forms.ChoiceField(
            label=_("Approved template"),
            choices=[
                ("", _("Pick a template")),
                *[(template_key(t), _label(t)) for t in templates],
            ],
        )
        chosen = self.chosen_template()
        for index, name in enumerate(chosen["params"] if chosen else []):
            self.fields[f"param_{index}"] = forms.CharField(
                label=_("Parameter {{%(name)s}}") % {"name": name}, max_length=1000
            )

    def chosen_template(self) -> dict | None:
        key = self.data.get("template") if self.is_bound else self.initial.get("template")
        return next((t for t in self.templates or [] if template_key(t) == key), None)

    def param_fields(self):
        return [self[name] for name in self.fields if name.startswith("param_")]

    def template_choice(self) -> dict | None:
        """{"name", "language", "params"} of a valid form in template mode, else None."""
        chosen = self.chosen_template() if self.templates is not None else None
        if chosen is None:
            return None
        params = [self.cleaned_data[f"param_{i}"] for i in range(len(chosen["params"]))]
        return {"name": chosen["name"], "language": chosen["language"], "params": params}


def template_key(template: dict) -> str:
    return f"{template['name']}|{template['language']}"


def _label(template: dict) -> str:
    return f"{template['name']} ({template['language']})"


class RoutingForm(forms.Form):
    lead_routing = forms.ChoiceField(
        label=_("New leads nobody is assigned to"),
        choices=LeadRouting.choices,
        widget=forms.RadioSelect,
    )
