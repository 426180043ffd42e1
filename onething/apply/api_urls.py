from django.urls import path

from onething.apply import api, upload_views

urlpatterns = [
    path("bundles/<slug:code>/form/", api.MergedFormView.as_view(), name="api-merged-form"),
    path("drafts/", api.DraftListView.as_view(), name="api-drafts"),
    path("drafts/<uuid:draft_id>/", api.DraftDetailView.as_view(), name="api-draft"),
    path("drafts/<uuid:draft_id>/materials/", api.DraftMaterialView.as_view(), name="api-draft-materials"),
    path("drafts/<uuid:draft_id>/submit/", api.DraftSubmitView.as_view(), name="api-draft-submit"),
    path("cases/", api.CaseListView.as_view(), name="api-cases"),
    path("cases/<str:number>/", api.CaseDetailView.as_view(), name="api-case"),
    path("uploads/", upload_views.UploadCreateView.as_view(), name="api-upload-create"),
]
