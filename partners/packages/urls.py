from django.urls import path

from partners.packages import views

app_name = "packages"

urlpatterns = [
    path("", views.list_view, name="list"),
    path("verify/", views.verify_view, name="verify"),
    path("case/<int:case_pk>/", views.case_packages_view, name="case"),
    path("case/<int:case_pk>/new/", views.request_for_case_view, name="request_case"),
    path("shared/<int:share_pk>/new/", views.request_for_share_view, name="request_share"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/progress/", views.progress_view, name="progress"),
    path("<int:pk>/decide/", views.decide_view, name="decide"),
    path("<int:pk>/revoke/", views.revoke_view, name="revoke"),
    path("<int:pk>/retry/", views.retry_view, name="retry"),
    path("<int:pk>/download/", views.download_view, name="download"),
]
