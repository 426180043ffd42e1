"""一体管理 pages: the management dashboard, the audit log and rectifications (整改)."""

from django.urls import path

from onething.oversight import auditlog, dashboard, rating_views

app_name = "oversight"

urlpatterns: list = [
    # 好差评 and 整改 (onething/oversight/rating_views.py)
    path("cases/<str:number>/ratings/", rating_views.rate, name="rate"),
    path("my/rectifications/<int:pk>/confirm/", rating_views.rectification_confirm, name="rectification-confirm"),
    path("my/rectifications/<int:pk>/reject/", rating_views.rectification_reject, name="rectification-reject"),
    path("rectifications/", rating_views.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", rating_views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/contact/", rating_views.rectification_contact, name="rectification-contact"),
    path("rectifications/<int:pk>/respond/", rating_views.rectification_respond, name="rectification-respond"),
    # 审计日志 (onething/oversight/auditlog.py)
    path("audit/", auditlog.audit_search, name="audit"),
    path("audit/export.csv", auditlog.audit_export, name="audit-export"),
    path("audit/<int:pk>/", auditlog.audit_detail, name="audit-event"),
    # 管理看板 (onething/oversight/dashboard.py)
    path("", dashboard.overview, name="dashboard"),
    path("items/", dashboard.items, name="dashboard-items"),
    path("attention/", dashboard.attention, name="dashboard-attention"),
    path("ratings/", dashboard.ratings, name="dashboard-ratings"),
    path("export/<slug:table>/", dashboard.export, name="dashboard-export"),
]
