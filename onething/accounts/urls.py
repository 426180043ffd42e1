"""Pages: /accounts/signup/, /accounts/signup/verify/, /accounts/login/, /accounts/logout/ (POST)."""

from django.urls import path

from onething.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("signup/verify/", views.signup_verify, name="signup-verify"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
]
