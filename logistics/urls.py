from django.urls import path

from . import views

app_name = "logistics"

urlpatterns = [
    path("", views.courier_home, name="courier_home"),
    path("shift/<int:courier_id>/", views.courier_shift, name="courier_shift"),
    path("collectives/<slug:slug>/", views.collective_detail, name="collective"),
]
