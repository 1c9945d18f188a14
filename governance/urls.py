from django.urls import path

from . import views

app_name = "governance"

urlpatterns = [
    path("", views.cooperative, name="cooperative"),
    path("proposals/", views.proposal_list, name="proposal_list"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:proposal_id>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:proposal_id>/vote/", views.proposal_vote, name="proposal_vote"),
    path("proposals/<int:proposal_id>/comments/", views.proposal_comment, name="proposal_comment"),
    path("join/", views.apply, name="apply"),
    path("transparency/", views.transparency, name="transparency"),
    path("noticeboard/", views.noticeboard, name="noticeboard"),
    path("noticeboard/new/", views.notice_new, name="notice_new"),
    path("noticeboard/<int:post_id>/", views.notice_detail, name="notice_detail"),
    path("noticeboard/<int:post_id>/close/", views.notice_close, name="notice_close"),
    path("events/", views.calendar, name="calendar"),
    path("events.ics", views.calendar_ics, name="calendar_ics"),
    path("shops/<int:shop_id>/news/", views.shop_news, name="shop_news"),
    path("shops/<int:shop_id>/news/<int:news_id>/", views.shop_news_edit, name="shop_news_edit"),
    path(
        "shops/<int:shop_id>/events/<int:event_id>/", views.shop_event_edit, name="shop_event_edit"
    ),
]
