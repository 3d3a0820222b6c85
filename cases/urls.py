from django.urls import path

from cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list_view, name="list"),
    path("new/", views.case_create_view, name="create"),
    path("teams/", views.team_admin_view, name="team_admin"),
    path("<int:pk>/", views.case_detail_view, name="detail"),
    path("<int:pk>/edit/", views.case_edit_view, name="edit"),
    path("<int:pk>/status/", views.case_transition_view, name="transition"),
    path("<int:pk>/incidents/", views.incident_list_view, name="incidents"),
    path("<int:pk>/incidents/new/", views.incident_create_view, name="incident_create"),
    path(
        "<int:pk>/incidents/<int:incident_pk>/", views.incident_detail_view, name="incident_detail"
    ),
    path(
        "<int:pk>/incidents/<int:incident_pk>/edit/", views.incident_edit_view, name="incident_edit"
    ),
    path("<int:pk>/persons/", views.person_list_view, name="persons"),
    path("<int:pk>/persons.csv", views.person_csv_view, name="persons_csv"),
    path("<int:pk>/persons/new/", views.person_create_view, name="person_create"),
    path("<int:pk>/persons/link/", views.person_link_view, name="person_link"),
    path("<int:pk>/persons/<int:person_pk>/", views.person_detail_view, name="person_detail"),
    path("<int:pk>/persons/<int:person_pk>/edit/", views.person_edit_view, name="person_edit"),
    path(
        "<int:pk>/persons/<int:person_pk>/protection/",
        views.person_protect_view,
        name="person_protect",
    ),
    path(
        "<int:pk>/persons/<int:person_pk>/grants/", views.person_grants_view, name="person_grants"
    ),
    path(
        "<int:pk>/persons/<int:person_pk>/grants/<int:user_pk>/revoke/",
        views.person_grant_revoke_view,
        name="person_grant_revoke",
    ),
    path("<int:pk>/team/", views.team_view, name="team"),
    path("<int:pk>/team/add/", views.team_add_view, name="team_add"),
    path("<int:pk>/team/<int:member_pk>/remove/", views.team_remove_view, name="team_remove"),
    path("<int:pk>/break-glass/", views.break_glass_view, name="break_glass"),
    path("<int:pk>/timeline/", views.timeline_view, name="timeline"),
    path("<int:pk>/activity/", views.activity_view, name="activity"),
    path("<int:pk>/notes/", views.note_list_view, name="notes"),
    path("<int:pk>/notes/<int:note_pk>/edit/", views.note_edit_view, name="note_edit"),
    path("<int:pk>/notes/<int:note_pk>/history/", views.note_history_view, name="note_history"),
]
