"""The node's installable apps (the public site, the courier app, the supporter wallet): their
web app manifests, service worker and favicon, served by Django so each manifest bears the
node's name in the person's language and each service worker sits at the top of the scope it
controls (a service worker controls only the path it is served from and below)."""

from contextlib import contextmanager

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils import translation

THEME_COLOUR = "#1f6b4a"
BACKGROUND_COLOUR = "#fbfaf6"
MANIFEST_CONTENT_TYPE = "application/manifest+json"


@contextmanager
def requested_language(request):
    """The language the page asked for with ?lang= (browsers fetch manifests without
    cookies, so the language cookie cannot tell), else the request's own."""
    code = request.GET.get("lang", "")
    if code not in dict(settings.LANGUAGES):
        code = translation.get_language()
    with translation.override(code):
        yield code


def app_icons(app: str) -> list[dict]:
    """The committed PNGs of one app (static/icons/<app>-…): 192 and 512 px to show as they
    are, and a full-bleed 512 px one whose glyph keeps to the safe zone for masking."""
    return [
        _icon(f"icons/{app}-192.png", "192x192", "any"),
        _icon(f"icons/{app}-512.png", "512x512", "any"),
        _icon(f"icons/{app}-maskable-512.png", "512x512", "maskable"),
    ]


def _icon(path: str, sizes: str, purpose: str) -> dict:
    return {"src": static(path), "sizes": sizes, "type": "image/png", "purpose": purpose}


def manifest_response(
    *,
    name: str,
    short_name: str,
    description: str,
    start_url: str,
    scope: str,
    icons: list[dict],
    shortcuts: list[dict] | None = None,
) -> JsonResponse:
    """A web app manifest; call it inside requested_language() so its words are translated.
    The scope doubles as the app's id, so a renamed node or a new start page updates the
    installed app instead of adding a second one."""
    language = translation.get_language()
    manifest = {
        "id": scope,
        "name": name,
        "short_name": short_name,
        "description": description,
        "lang": language,
        "dir": "rtl" if translation.get_language_bidi() else "ltr",
        "start_url": start_url,
        "scope": scope,
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    if shortcuts:
        manifest["shortcuts"] = shortcuts
    response = JsonResponse(
        manifest, content_type=MANIFEST_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    response["Cache-Control"] = "no-cache"
    return response


def shortcut(*, name: str, url: str, app: str) -> dict:
    return {"name": name, "url": url, "icons": [_icon(f"icons/{app}-192.png", "192x192", "any")]}


def service_worker_response() -> HttpResponse:
    """The one service worker script (static/js/service-worker.js); where it is served from
    decides which pages it controls. Not cached, so browsers see a new version at once."""
    with open(finders.find("js/service-worker.js"), "rb") as source:
        response = HttpResponse(source.read(), content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    return response


def favicon_response() -> HttpResponse:
    """/favicon.ico, which browsers ask for on every site whatever the page links."""
    with open(finders.find("icons/favicon.ico"), "rb") as source:
        response = HttpResponse(source.read(), content_type="image/vnd.microsoft.icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
