from django.urls import include, path

from accounts.views import set_language_view
from custos import views

urlpatterns = [
    path("", views.dashboard_view, name="dashboard"),
    path("healthz", views.healthz_view, name="healthz"),
    path("i18n/setlang/", set_language_view, name="set_language"),
    path("accounts/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("cases/", include("cases.urls")),
    path("crimes/", include("cases.crimes.urls")),
    path("evidence/", include("evidence.urls")),
    path("proof/", include("evidence.proof.urls")),
    path("partners/", include("partners.urls")),
    path("meetings/", include("partners.meetings.urls")),
    path("packages/", include("partners.packages.urls")),
    path("training/", include("training.urls")),
]
