from django.urls import path

from training import views

app_name = "training"
urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("sessions/<int:pk>/", views.session_detail_view, name="session_detail"),
    path("sessions/<int:pk>/apply/", views.apply_view, name="apply"),
    path("sessions/<int:pk>/applications/", views.applications_view, name="applications"),
    path("sessions/<int:pk>/attendance/", views.attendance_view, name="attendance"),
    path("sessions/<int:pk>/assessment/", views.assessment_view, name="assessment"),
    path("sessions/<int:pk>/complete/", views.complete_view, name="complete"),
    path("sessions/<int:pk>/participants.csv", views.export_view, name="export"),
    path("my/", views.my_view, name="my"),
    path("applications/<int:pk>/withdraw/", views.withdraw_view, name="withdraw"),
    path("nominations/import/", views.import_view, name="import"),
    path("statistics/", views.statistics_view, name="statistics"),
    path("statistics/print/", views.statistics_print_view, name="statistics_print"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf_view, name="certificate_pdf"),
    path("certificates/verify/<str:code>/", views.verify_view, name="verify"),
    path("courses/new/", views.course_create_view, name="course_create"),
    path("courses/<int:pk>/edit/", views.course_edit_view, name="course_edit"),
    path("sessions/new/", views.session_create_view, name="session_create"),
    path("sessions/<int:pk>/edit/", views.session_edit_view, name="session_edit"),
]
