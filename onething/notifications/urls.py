"""站内信 pages under /messages/."""

from django.urls import path

from onething.notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.message_list, name="messages"),
    path("<int:pk>/", views.message_detail, name="message"),
    path("read-all/", views.mark_all_read, name="read-all"),
]
