from django.urls import path

from .views import points as views

app_name = "loyalty"

urlpatterns = [
    # The supporter's side.
    path("wallet/", views.wallet, name="wallet"),
    # Presale campaigns (views/presales.py) ---------------------------------------------
]
