from django.urls import path

from onething.intake import document_views

app_name = "documents"
urlpatterns = [
    path("cases/<str:number>/receipt.pdf", document_views.receipt_download, name="receipt"),
    path("cases/<str:number>/refusal.pdf", document_views.refusal_download, name="refusal"),
    path("cases/<str:number>/corrections/<int:round>.pdf", document_views.correction_download, name="correction"),
]
