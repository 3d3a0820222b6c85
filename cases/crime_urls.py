from django.urls import path

from cases import crime_views

app_name = "crimes"

urlpatterns = [
    path("", crime_views.crime_list_view, name="list"),
    # Before "<str:code>/", which would otherwise take it for a crime's code.
    path("modes-of-liability/", crime_views.mode_list_view, name="modes"),
    path("<str:code>/", crime_views.crime_detail_view, name="detail"),
]
