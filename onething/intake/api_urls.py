"""REST API of the clerk console, mounted at ``/api/intake/`` (no namespace: the names
start with ``api-intake-``, like the other API routes)."""

from django.urls import path

from onething.intake import api

urlpatterns = [
    path("queue/", api.QueueView.as_view(), name="api-intake-queue"),
    path("cases/<str:number>/", api.CaseView.as_view(), name="api-intake-case"),
    path("cases/<str:number>/accept/", api.AcceptView.as_view(), name="api-intake-accept"),
    path("cases/<str:number>/return/", api.ReturnView.as_view(), name="api-intake-return"),
    path("cases/<str:number>/refuse/", api.RefuseView.as_view(), name="api-intake-refuse"),
    path("cases/<str:number>/reassign/", api.ReassignView.as_view(), name="api-intake-reassign"),
]
