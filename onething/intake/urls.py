"""The clerk console (综合窗口受理台), mounted at ``/console/`` under the namespace ``intake``."""

from django.urls import path

from onething.intake import views

app_name = "intake"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("mine/", views.mine, name="mine"),
    path("cases/<str:number>/", views.case_page, name="case"),
    path("cases/<str:number>/accept/", views.case_accept, name="case-accept"),
    path("cases/<str:number>/return/", views.case_return, name="case-return"),
    path("cases/<str:number>/refuse/", views.case_refuse, name="case-refuse"),
    path("cases/<str:number>/reassign/", views.case_reassign, name="case-reassign"),
    path("cases/<str:number>/checks/<int:check_id>/supply/", views.check_supply, name="check-supply"),
    path("cases/<str:number>/checks/<int:check_id>/extend/", views.check_extend, name="check-extend"),
    path("cases/<str:number>/checks/<int:check_id>/refuse-items/", views.check_refuse_items, name="check-refuse-items"),
    path("window/", views.window_start, name="window"),
    path("window/<str:token>/bundle/", views.window_bundle, name="window-bundle"),
    path("window/<str:token>/form/", views.window_form, name="window-form"),
    path("window/<str:token>/cancel/", views.window_cancel, name="window-cancel"),
]
