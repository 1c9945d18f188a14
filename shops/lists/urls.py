from django.urls import path

from . import views

app_name = "shopping_list"

urlpatterns = [
    path("", views.list_index, name="index"),
    path("<int:list_id>/", views.list_detail, name="detail"),
    path("<int:list_id>/edit/", views.list_edit, name="edit"),
    path("<int:list_id>/trip/", views.list_trip, name="trip"),
    path("<int:list_id>/cart/", views.list_to_cart, name="to_cart"),
    path("<int:list_id>/again/", views.list_again, name="again"),
    path("<int:list_id>/delete/", views.list_delete, name="delete"),
]
