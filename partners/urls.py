from django.urls import path

from partners import views

app_name = "partners"

urlpatterns = [
    path("", views.directory_view, name="directory"),
    path("new/", views.organisation_form_view, name="create"),
    path("shared/", views.shared_list_view, name="shared_list"),
    path("shared/<int:pk>/", views.shared_detail_view, name="shared_detail"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="invitation_accept"),
    path("agreements/<int:pk>/document/", views.agreement_document_view, name="agreement_document"),
    path("cases/<int:case_pk>/shares/", views.case_shares_view, name="case_shares"),
    path("cases/<int:case_pk>/shares/new/", views.share_create_view, name="share_create"),
    path("shares/<int:pk>/revoke/", views.share_revoke_view, name="share_revoke"),
    path("<int:pk>/", views.detail_view, name="detail"),
    path("<int:pk>/edit/", views.organisation_form_view, name="edit"),
    path("<int:pk>/contacts/new/", views.contact_add_view, name="contact_add"),
    path("<int:pk>/agreements/new/", views.agreement_add_view, name="agreement_add"),
    path("<int:pk>/invite/", views.invite_view, name="invite"),
]
