"""The pages of 一表申请. The ``apply`` namespace also names the pages about submitted cases
(``apply:my``, ``apply:case``, ``apply:submitted``: onething/tracking/urls.py);
onething/urls.py composes it."""

from django.urls import path

from onething.apply import upload_views, views

urlpatterns = [
    path("bundles/<slug:code>/apply/", views.apply_start, name="start"),
    path("my/drafts/<uuid:draft_id>/", views.draft_page, name="draft"),
    path("my/drafts/<uuid:draft_id>/steps/<str:step_key>/", views.draft_step, name="draft-step"),
    path("my/drafts/<uuid:draft_id>/check/", views.draft_check, name="draft-check"),
    path("my/drafts/<uuid:draft_id>/delete/", views.draft_delete, name="draft-delete"),
    path("my/uploads/<int:pk>/", upload_views.upload_download, name="upload-download"),
]
