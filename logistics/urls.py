from django.urls import path

from . import views

app_name = "logistics"

urlpatterns = [
    path("", views.courier_home, name="courier_home"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("service-worker.js", views.service_worker, name="service_worker"),
    path("shift/<int:courier_id>/", views.courier_shift, name="courier_shift"),
    path("jobs/", views.open_jobs, name="open_jobs"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("pickup/", views.pickup_by_code, name="pickup_by_code"),
    path("jobs/<int:job_id>/claim/", views.job_claim, name="job_claim"),
    path("jobs/<int:job_id>/<str:action>/", views.job_action, name="job_action"),
    path("earnings/", views.earnings, name="earnings"),
    path("route/", views.my_route, name="route"),
    path("board/<slug:slug>/", views.board, name="board"),
    path("board/<slug:slug>/payroll.csv", views.payroll, name="payroll"),
    path("collectives/<slug:slug>/", views.collective_detail, name="collective"),
]
