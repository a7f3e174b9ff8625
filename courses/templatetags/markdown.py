"""`{{ text|markdown }}`: sanitised Markdown, available in every template."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from courses.markdown import render_markdown
from courses.wordcount import count_words

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # nh3 has sanitised it


@register.filter(name="word_count")
def word_count_filter(text: str) -> int:
    return count_words(text or "")
