"""Tags of the base layout, which every page renders: links and languages worked out once
per process instead of on every page (reverse() walks the URL resolver each time)."""

from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language_info

register = template.Library()


@lru_cache(maxsize=256)
def _url(name: str, prefix: str, urlconf) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def nav_url(name: str) -> str:
    """{% url name %} for a URL without arguments, reversed once per process."""
    return _url(name, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=1)
def _languages(languages: tuple) -> list[tuple[str, str]]:
    return [(code, get_language_info(code)["name_local"]) for code, _name in languages]


@register.simple_tag
def language_choices() -> list[tuple[str, str]]:
    """(code, name in its own language) of each language the node offers."""
    return _languages(tuple(settings.LANGUAGES))
