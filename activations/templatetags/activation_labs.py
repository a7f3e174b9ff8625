"""`{% lab_panel_context question.lab as panel %}`: the panel's numbers, so a question view need pass nothing."""

from django import template

from activations.labs import lab_panel_context as build_context

register = template.Library()


@register.simple_tag
def lab_panel_context(lab: str) -> dict:
    return build_context(lab or "")
