"""Base for the staff console of tenant-owned models: every tenant's rows, tenant shown;
read-only admins and the link and money cells the ledgers share."""

from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from apps.core.money import Money
from apps.tenants.audit import AuditAction, staff_access_record, staff_list_access_record


class StaffAccessAudited:
    """For admins of rows holding a tenant's personal data (leads, customers, bookings,
    members, exports, webhook payloads): every time a staff member's console shows one of
    them (its change or detail page, or a page of its list) an audit row says who opened
    which objects when, and the tenant's admins see it (Settings → Staff access). Put it
    before the admin base."""

    staff_access_action = AuditAction.STAFF_VIEWED

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:  # a page of rows was shown (not a redirect or an action)
            staff_list_access_record(request=request, rows=list(changelist.result_list))
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and not add:
            staff_access_record(request=request, obj=obj, action=self.staff_access_action)
        return super().render_change_form(request, context, add, change, form_url, obj)


class TenantOwnedAdmin(admin.ModelAdmin):
    """Staff see every tenant's rows on purpose (the middleware puts /admin/ in the
    all-tenants scope for staff); the tenant is always a column and a filter."""

    tenant_list_display: tuple[str, ...] = ()
    list_select_related = ("tenant",)

    def get_queryset(self, request):
        return self.model.objects.unscoped().select_related("tenant")

    # Columns whose model fields carry no translated name (the shared bases'): shown
    # through cells with a translated heading instead.
    TRANSLATED_COLUMNS = {"tenant": "company", "created_at": "created", "updated_at": "updated"}

    def get_list_display(self, request):
        names = (*self.tenant_list_display, "tenant")
        return tuple(self.TRANSLATED_COLUMNS.get(name, name) for name in names)

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), ("tenant", CompanyFilter))

    @admin.display(description=_("company"), ordering="tenant__name")
    def company(self, obj):
        return obj.tenant

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, obj):
        return obj.updated_at


class CompanyFilter(admin.RelatedFieldListFilter):
    """The tenant filter, titled in the staff member's language."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = _("company")


def admin_link(obj, label=None) -> str:
    """A link to `obj`'s admin change page (plain text when it has none)."""
    if obj is None:
        return "—"
    opts = obj._meta
    try:
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    except NoReverseMatch:
        return str(label or obj)
    return format_html('<a href="{}">{}</a>', url, label or obj)


def admin_money(amount, currency) -> str:
    if amount is None or not currency:
        return "—"
    return str(Money(int(amount), currency))


class ReadOnlyAdmin(TenantOwnedAdmin):
    """Nothing added, changed or deleted by hand: the services own these rows."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
