"""`{% load release_flags %}{% release_flag "dashboard_beta" as beta %}{% if beta %}…`"""

from django import template

from apps.features.flags import flag_active

register = template.Library()


@register.simple_tag(takes_context=True)
def release_flag(context, name: str) -> bool:
    request = context.get("request")
    return request is not None and flag_active(request, name)
