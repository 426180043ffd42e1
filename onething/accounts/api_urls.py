"""REST API under /api/accounts/."""

from django.urls import path

from onething.accounts import api

urlpatterns = [
    path("csrf/", api.CsrfView.as_view(), name="api-accounts-csrf"),
    path("signup/", api.SignUpView.as_view(), name="api-accounts-signup"),
    path("signup/verify/", api.SignUpVerifyView.as_view(), name="api-accounts-signup-verify"),
    path("login/", api.LoginView.as_view(), name="api-accounts-login"),
    path("logout/", api.LogoutView.as_view(), name="api-accounts-logout"),
    path("me/", api.MeView.as_view(), name="api-accounts-me"),
]
