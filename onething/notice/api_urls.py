from django.urls import path

from onething.notice import api

urlpatterns = [
    path("bundles/", api.BundleListView.as_view(), name="api-bundle-list"),
    path("bundles/<slug:code>/", api.BundleDetailView.as_view(), name="api-bundle-detail"),
    path("bundles/<slug:code>/notice/", api.NoticeView.as_view(), name="api-notice"),
]
