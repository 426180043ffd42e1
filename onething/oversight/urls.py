"""一体管理 pages: the management dashboard, the audit log and rectifications (整改)."""

from django.urls import path  # noqa: F401

app_name = "oversight"

urlpatterns: list = []
