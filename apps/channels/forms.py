"""The connect form of one provider, built from its adapter's fields."""

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.channels.providers import adapter_class

CRED = "cred_"
SET = "set_"


class ChannelConnectForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    # On an edit, stored keys are never sent back to the browser: a key field left empty keeps
    # the stored key, and every setting field is sent (an emptied optional one is cleared).
    editing = False

    def __init__(self, provider: str, *args, **kwargs):
        kwargs.setdefault("prefix", provider)
        super().__init__(*args, **kwargs)
        self.provider = provider
        adapter = adapter_class(provider)
        for prefix, fields in ((CRED, adapter.credential_fields), (SET, adapter.setting_fields)):
            for f in fields:
                widget = forms.PasswordInput(render_value=False) if f.secret else forms.TextInput
                keeps_stored = self.editing and prefix == CRED
                self.fields[prefix + f.name] = forms.CharField(
                    label=f.label,
                    help_text=_("Leave empty to keep the stored value.")
                    if keeps_stored
                    else f.help_text,
                    required=f.required and not keeps_stored,
                    widget=widget,
                    max_length=2000,
                )

    def split(self) -> tuple[str, dict, dict]:
        data = self.cleaned_data
        creds = {k[len(CRED) :]: v for k, v in data.items() if k.startswith(CRED) and v}
        public = {
            k[len(SET) :]: v for k, v in data.items() if k.startswith(SET) and (v or self.editing)
        }
        return data.get("name", ""), creds, public

    def place_service_errors(self, fields: dict) -> bool:
        placed = False
        for key, messages in fields.items():
            group, _dot, name = key.partition(".")
            target = (CRED if group == "credentials" else SET) + name
            if target in self.fields:
                for message in messages:
                    self.add_error(target, message)
                placed = True
        return placed


class ChannelEditForm(ChannelConnectForm):
    """The same fields for a connected channel, filled with its name and public settings."""

    editing = True

    def __init__(self, channel, *args, **kwargs):
        initial = {"name": channel.name}
        initial.update({SET + key: value for key, value in (channel.settings or {}).items()})
        kwargs.setdefault("prefix", f"edit{channel.pk}")
        kwargs.setdefault("initial", initial)
        super().__init__(channel.provider, *args, **kwargs)
        self.channel_pk = channel.pk
