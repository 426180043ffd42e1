from django.urls import path

from onething.apply import upload_views, views

app_name = "apply"
urlpatterns = [
    path("bundles/<slug:code>/apply/", views.apply_start, name="start"),
    path("my/", views.my_applications, name="my"),
    path("my/drafts/<uuid:draft_id>/", views.draft_page, name="draft"),
    path("my/drafts/<uuid:draft_id>/delete/", views.draft_delete, name="draft-delete"),
    path("my/cases/<str:number>/", views.case_page, name="case"),
    path("my/uploads/<int:pk>/", upload_views.upload_download, name="upload-download"),
]
