"""Pages: /accounts/signup/, /accounts/login/, /accounts/logout/ (POST)."""

from django.urls import path

from onething.accounts import views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
]
