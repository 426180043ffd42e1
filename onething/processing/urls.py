"""The department workbench (部门工作台), mounted at ``/workbench/`` under the namespace
``workbench``."""

from django.urls import path

from onething.processing import views

app_name = "workbench"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/start/", views.start, name="start"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/reject/", views.reject, name="reject"),
    path("<int:pk>/supplement/", views.supplement, name="supplement"),
]
