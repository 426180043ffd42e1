"""The applicant's pages about submitted cases. They keep their names in the ``apply``
namespace (``apply:my``, ``apply:case``): onething/urls.py composes it from apply's URLs
and these."""

from django.urls import path

from onething.tracking import views

urlpatterns = [
    path("my/", views.my_applications, name="my"),
    path("my/cases/<str:number>/", views.case_page, name="case"),
    path("my/cases/<str:number>/submitted/", views.case_submitted, name="submitted"),
]
