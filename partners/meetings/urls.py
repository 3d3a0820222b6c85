from django.urls import path

from partners.meetings import views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list_view, name="list"),
    path("new/", views.meeting_create_view, name="create"),
    path("<int:pk>/", views.meeting_detail_view, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit_view, name="edit"),
    path("<int:pk>/minutes/", views.minutes_download_view, name="minutes"),
    path("<int:pk>/actions/", views.action_add_view, name="action_add"),
    path(
        "<int:pk>/actions/<int:action_pk>/done/",
        views.action_complete_view,
        name="action_complete",
    ),
]
