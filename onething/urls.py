"""URL configuration: public notice pages, the REST API with its OpenAPI schema, admin."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from onething.apply import urls as apply_urls
from onething.operations import health, metrics
from onething.tracking import urls as tracking_urls

# JSON errors on API paths, Django's pages elsewhere (onething/common/error_views.py)
handler400 = "onething.common.error_views.bad_request"
handler403 = "onething.common.error_views.permission_denied"
handler404 = "onething.common.error_views.page_not_found"
handler500 = "onething.common.error_views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("onething.notice.api_urls")),
    path("api/", include("onething.apply.api_urls")),
    path("api/accounts/", include("onething.accounts.api_urls")),
    path("api/messages/", include("onething.notifications.api_urls")),
    path("messages/", include("onething.notifications.urls")),
    path("accounts/", include("onething.accounts.urls")),
    path("", include("onething.issuance.urls")),
    path("console/", include("onething.intake.urls")),
    path("api/intake/", include("onething.intake.api_urls")),
    path("documents/", include("onething.intake.document_urls")),
    path("api/processing/", include("onething.processing.api_urls")),
    path("workbench/", include("onething.processing.urls")),
    path("oversight/", include("onething.oversight.urls")),
    path("kiosk/", include("onething.kiosk.urls")),
    # one namespace for the applicant's pages: applying (apply) and the submitted cases (tracking)
    path("", include(([*apply_urls.urlpatterns, *tracking_urls.urlpatterns], "apply"))),
    path("", include("onething.notice.urls")),
]
