"""统一发证 pages: /results/<case>/... for the applicant, /console/results/ for the window."""

from django.urls import path

from onething.issuance import views

app_name = "issuance"

urlpatterns = [
    path("results/<str:number>/notice.pdf", views.result_notice, name="notice"),
    path("results/<str:number>/all.zip", views.results_zip, name="zip"),
    path("results/<str:number>/licences/<int:licence_id>.pdf", views.licence_document, name="licence"),
    path("results/<str:number>/delivery/", views.delivery_choose, name="delivery"),
    path("console/results/", views.handover_find, name="handover_find"),
    path("console/results/<str:number>/", views.handover, name="handover"),
]
