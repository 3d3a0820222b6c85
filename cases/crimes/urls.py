from django.urls import path

from cases.crimes import views

app_name = "crimes"

urlpatterns = [
    path("", views.crime_list_view, name="list"),
    # Before "<str:code>/", which would otherwise take it for a crime's code.
    path("modes-of-liability/", views.mode_list_view, name="modes"),
    path("<str:code>/", views.crime_detail_view, name="detail"),
]
