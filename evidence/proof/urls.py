from django.urls import path

from evidence.proof import views

app_name = "proof"

urlpatterns = [
    path("case/<int:case_pk>/", views.overview_view, name="overview"),
    path("case/<int:case_pk>/new/", views.allegation_create_view, name="create"),
    path("<int:pk>/", views.matrix_view, name="matrix"),
    path("<int:pk>/edit/", views.allegation_edit_view, name="edit"),
    path("<int:pk>/matrix.csv", views.matrix_csv_view, name="matrix_csv"),
    path("<int:pk>/links/new/", views.link_create_view, name="link_create"),
    path("item/<int:item_pk>/link/", views.item_link_view, name="item_link"),
    path("links/<int:pk>/revise/", views.link_revise_view, name="link_revise"),
    path("links/<int:pk>/withdraw/", views.link_withdraw_view, name="link_withdraw"),
    path("links/<int:pk>/history/", views.link_history_view, name="link_history"),
]
