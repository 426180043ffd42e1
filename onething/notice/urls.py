from django.urls import path

from onething.notice import views

app_name = "notice"
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("bundles/<slug:code>/", views.bundle_page, name="bundle"),
    path("bundles/<slug:code>/notice/", views.notice_page, name="notice"),
    path("bundles/<slug:code>/notice.pdf", views.notice_pdf_download, name="notice-pdf"),
    path("elders/", views.elders_mode, name="elders"),
    path("accessibility/", views.accessibility_statement, name="accessibility"),
]
