from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from shops.views import public as shop_views

from . import views

marketplace_patterns = (
    [
        path("", views.home, name="home"),
        path("accounts/profile/", views.profile, name="profile"),
        path("manifest.webmanifest", views.manifest, name="manifest"),
    ],
    "marketplace",
)

urlpatterns = [
    path("", include(marketplace_patterns)),
    path("search/", shop_views.search, name="search"),
    path("shops/", include("shops.urls")),
    path("list/", include("shops.lists.urls")),
    path("dashboard/", include("shops.dashboard_urls")),
    path("api/v1/", include("shops.api_urls")),
    path("", include("orders.urls")),
    path("couriers/", include("logistics.urls")),
    path("", include("loyalty.urls")),
    path("cooperative/", include("governance.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("service-worker.js", views.service_worker, name="service_worker"),
    path("favicon.ico", views.favicon, name="favicon"),
]

handler500 = "marketplace.views.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
