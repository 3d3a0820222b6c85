from django.urls import path

from evidence import views

app_name = "evidence"

urlpatterns = [
    path("integrity/", views.integrity_admin_view, name="integrity_admin"),
    path("case/<int:case_pk>/", views.register_view, name="register"),
    path("case/<int:case_pk>/new/", views.item_create_view, name="create"),
    path("case/<int:case_pk>/integrity/", views.integrity_view, name="integrity"),
    path("<int:pk>/", views.item_detail_view, name="detail"),
    path("<int:pk>/edit/", views.item_edit_view, name="edit"),
    path("<int:pk>/files/new/", views.file_add_view, name="file_add"),
    path("<int:pk>/transfer/", views.transfer_view, name="transfer"),
    path("<int:pk>/custody/", views.custody_event_view, name="custody_event"),
    path("<int:pk>/verify/", views.verify_now_view, name="verify"),
    path("transfers/<int:pk>/accept/", views.transfer_accept_view, name="transfer_accept"),
    path("transfers/<int:pk>/cancel/", views.transfer_cancel_view, name="transfer_cancel"),
    path("files/<int:pk>/download/", views.download_view, name="download"),
    path("files/<int:pk>/preview/", views.preview_view, name="preview"),
    path(
        "files/<int:pk>/approve-redaction/",
        views.redaction_approve_view,
        name="redaction_approve",
    ),
]
