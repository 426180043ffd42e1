"""The self-service terminals' pages (自助终端), mounted at ``/kiosk/``."""

from django.urls import path

from onething.kiosk import views

app_name = "kiosk"
urlpatterns = [
    path("", views.home, name="home"),
    path("identify/", views.identify, name="identify"),
    path("bundles/<slug:code>/", views.bundle, name="bundle"),
    path("bundles/<slug:code>/notice/", views.notice, name="notice"),
    path("my/", views.my, name="my"),
    path("my/cases/<str:number>/", views.case, name="case"),
    path("keepalive/", views.keepalive, name="keepalive"),
    path("exit/", views.exit_session, name="exit"),
]
