from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/verify/", views.login_verify_view, name="login_verify"),
    path("logout/", views.logout_view, name="logout"),
    path("reauth/", views.reauth_view, name="reauth"),
    path("profile/", views.profile_view, name="profile"),
    path("password/", views.password_change_view, name="password_change"),
    path("2fa/", views.two_factor_view, name="2fa"),
    path("2fa/setup/", views.two_factor_setup_view, name="2fa_setup"),
    path("2fa/recovery-codes/", views.recovery_codes_view, name="2fa_recovery_codes"),
    path("2fa/disable/", views.two_factor_disable_view, name="2fa_disable"),
    path("notifications/", views.notifications_view, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read_view, name="notification_read"),
    path(
        "notifications/read-all/", views.notifications_read_all_view, name="notifications_read_all"
    ),
]
