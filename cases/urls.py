from django.urls import path

from cases.views import cases, history, incidents, notes, persons, team

app_name = "cases"

urlpatterns = [
    path("", cases.case_list_view, name="list"),
    path("new/", cases.case_create_view, name="create"),
    path("teams/", team.team_admin_view, name="team_admin"),
    path("<int:pk>/", cases.case_detail_view, name="detail"),
    path("<int:pk>/edit/", cases.case_edit_view, name="edit"),
    path("<int:pk>/status/", cases.case_transition_view, name="transition"),
    path("<int:pk>/incidents/", incidents.incident_list_view, name="incidents"),
    path("<int:pk>/incidents/new/", incidents.incident_create_view, name="incident_create"),
    path(
        "<int:pk>/incidents/<int:incident_pk>/",
        incidents.incident_detail_view,
        name="incident_detail",
    ),
    path(
        "<int:pk>/incidents/<int:incident_pk>/edit/",
        incidents.incident_edit_view,
        name="incident_edit",
    ),
    path("<int:pk>/persons/", persons.person_list_view, name="persons"),
    path("<int:pk>/persons.csv", persons.person_csv_view, name="persons_csv"),
    path("<int:pk>/persons/new/", persons.person_create_view, name="person_create"),
    path("<int:pk>/persons/link/", persons.person_link_view, name="person_link"),
    path("<int:pk>/persons/<int:person_pk>/", persons.person_detail_view, name="person_detail"),
    path("<int:pk>/persons/<int:person_pk>/edit/", persons.person_edit_view, name="person_edit"),
    path(
        "<int:pk>/persons/<int:person_pk>/protection/",
        persons.person_protect_view,
        name="person_protect",
    ),
    path(
        "<int:pk>/persons/<int:person_pk>/grants/", persons.person_grants_view, name="person_grants"
    ),
    path(
        "<int:pk>/persons/<int:person_pk>/grants/<int:user_pk>/revoke/",
        persons.person_grant_revoke_view,
        name="person_grant_revoke",
    ),
    path("<int:pk>/team/", team.team_view, name="team"),
    path("<int:pk>/team/add/", team.team_add_view, name="team_add"),
    path("<int:pk>/team/<int:member_pk>/remove/", team.team_remove_view, name="team_remove"),
    path("<int:pk>/break-glass/", team.break_glass_view, name="break_glass"),
    path("<int:pk>/timeline/", history.timeline_view, name="timeline"),
    path("<int:pk>/activity/", history.activity_view, name="activity"),
    path("<int:pk>/notes/", notes.note_list_view, name="notes"),
    path("<int:pk>/notes/<int:note_pk>/edit/", notes.note_edit_view, name="note_edit"),
    path("<int:pk>/notes/<int:note_pk>/history/", notes.note_history_view, name="note_history"),
]
