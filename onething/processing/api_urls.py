from django.urls import path

from onething.processing import callbacks

urlpatterns = [
    path("callbacks/<slug:department>/", callbacks.department_callback, name="api-processing-callback"),
]
