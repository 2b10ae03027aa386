"""Forms of the leads dashboard: filters, row and bulk actions, lead work, lists, imports, keys.

Choices that depend on the company (lists, members, customers, products) are passed in by the
view, which has already read them.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.leads.imports.mapping import FIELDS
from apps.leads.imports.reader import MAX_BYTES
from apps.leads.models import LeadStatus, Source
from apps.leads.services import MAX_NOTE
from apps.tenants.roles import Role

ANY = ("", _("Any"))
BULK_CHOICES = (
    ("status", _("Set status")),
    ("move", _("Move to list")),
    ("assign", _("Assign")),
    ("delete", _("Delete")),
)
NEW_LIST = "new"
FOLDED_FILTERS = ("assigned", "lead_type", "customer", "product", "created_from", "created_to")


def member_choices(members) -> list[tuple[str, str]]:
    return [(str(m.user_id), m.user.name or m.user.email) for m in members]


def list_choices(lists) -> list[tuple[str, str]]:
    return [(str(item.pk), item.name) for item in lists]


class LeadFilterForm(forms.Form):
    """Renders the filter bar (the values are parsed by apps.leads.filters)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Name, e-mail, phone or company"),
                "autocomplete": "off",
                "id": "filter-q",
            }
        ),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)
    list = forms.ChoiceField(label=_("List"), required=False)
    assigned = forms.ChoiceField(label=_("Assignee"), required=False)
    lead_type = forms.CharField(
        label=_("Lead type"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Website Visit")}),
    )
    customer = forms.ChoiceField(label=_("Customer"), required=False)
    product = forms.ChoiceField(label=_("Product"), required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, lists=(), members=(), customers=(), products=(), **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["status"].choices = [ANY, *LeadStatus.choices]
        fields["source"].choices = [ANY, *Source.choices]
        fields["list"].choices = [ANY, ("none", _("Outside any list")), *list_choices(lists)]
        fields["assigned"].choices = [
            ANY,
            ("me", _("Me")),
            ("none", _("Nobody")),
            *member_choices(members),
        ]
        fields["customer"].choices = [ANY, *[(c.external_ref, c.name) for c in customers]]
        fields["product"].choices = [ANY, *[(p.external_ref, p.name) for p in products]]
        for name in ("customer", "product"):
            if len(fields[name].choices) == 1:
                fields[name].widget.attrs["disabled"] = True

    def folded_fields(self):
        """The filters under "More filters"."""
        return [self[name] for name in FOLDED_FILTERS]

    @property
    def advanced_used(self) -> bool:
        """Whether a folded filter has a value (then "More filters" starts open)."""
        data = self.data or {}
        return any(data.get(name) for name in FOLDED_FILTERS)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices)


class AssignForm(forms.Form):
    assigned_to = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", _("Nobody")), *member_choices(members)]


class EscalateForm(forms.Form):
    assignee = forms.TypedChoiceField(label=_("To the inbox of"), coerce=int)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = member_choices(members)


class MoveForm(forms.Form):
    list = forms.TypedChoiceField(label=_("List"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args, lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list"].choices = [("", _("Outside any list")), *list_choices(lists)]


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Note"),
        max_length=MAX_NOTE,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": _("What happened, what to do next…")}
        ),
        error_messages={"required": _("Write the note first.")},
    )


class BulkForm(forms.Form):
    """An action on the selected rows; the value field that matters depends on the action."""

    action = forms.ChoiceField(label=_("Action"), choices=BULK_CHOICES)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    status_value = forms.ChoiceField(label=_("Status"), choices=LeadStatus.choices, required=False)
    list_value = forms.TypedChoiceField(
        label=_("List"), required=False, coerce=int, empty_value=None
    )
    assign_value = forms.TypedChoiceField(
        label=_("Assignee"), required=False, coerce=int, empty_value=None
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, lists=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_value"].choices = [("", _("Outside any list")), *list_choices(lists)]
        self.fields["assign_value"].choices = [("", _("Nobody")), *member_choices(members)]
        self.fields["ids"].error_messages["invalid_choice"] = _("Some selected leads are invalid.")
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if not ids:
            raise forms.ValidationError(_("Select leads first."))
        return ids

    def value(self):
        action = self.cleaned_data["action"]
        return {
            "status": self.cleaned_data.get("status_value"),
            "move": self.cleaned_data.get("list_value"),
            "assign": self.cleaned_data.get("assign_value"),
        }.get(action)


class LeadListForm(forms.Form):
    name = forms.CharField(
        label=_("List name"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Webinar, March")}),
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "CSV (UTF-8 or Windows-1251, separated by ; or ,) or Excel .xlsx, up to 20 MB."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
        error_messages={"required": _("Choose a file to upload.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is too large: at most %(size)s MB.")
                % {"size": MAX_BYTES // 1024 // 1024}
            )
        if upload.size == 0:
            raise forms.ValidationError(_("The file is empty: there are no rows to import."))
        return upload


class ImportMappingForm(forms.Form):
    """A select per file column (col_0, col_1, …) and the list the leads go to."""

    target_list = forms.ChoiceField(label=_("Add the leads to"), required=False)
    new_list_name = forms.CharField(
        label=_("New list name"),
        required=False,
        max_length=180,
        help_text=_("Leave empty to name it after the file and the date."),
    )

    def __init__(self, *args, headers=(), lists=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        choices = [("", _("— skip this column —")), *FIELDS]
        for index, header in enumerate(self.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, required=False
            )
        self.fields["target_list"].choices = [
            (NEW_LIST, _("A new import list")),
            *list_choices(lists),
        ]

    @classmethod
    def initial_for(cls, mapping: dict[str, str]) -> dict[str, str]:
        return {f"col_{index}": key for index, key in mapping.items()} | {"target_list": NEW_LIST}

    def column_fields(self):
        return [self[f"col_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            str(i): data.get(f"col_{i}") for i in range(len(self.headers)) if data.get(f"col_{i}")
        }

    def list_id(self) -> int | None:
        value = self.cleaned_data.get("target_list") or NEW_LIST
        return None if value == NEW_LIST else int(value)


class APIKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Key name"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. CRM integration")}),
        help_text=_("Who uses the key, so that you know what breaks if you revoke it."),
    )
    role = forms.ChoiceField(
        label=_("Permissions"),
        choices=[
            (Role.OPERATOR.value, _("Operator: send and work leads")),
            (Role.ANALYST.value, _("Analyst: read and export only")),
        ],
        initial=Role.OPERATOR.value,
    )
