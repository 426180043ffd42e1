"""REST API of the 站内信 under /api/messages/."""

from django.urls import path

from onething.notifications import api

urlpatterns = [
    path("", api.MessageListView.as_view(), name="api-messages"),
    path("unread-count/", api.UnreadCountView.as_view(), name="api-messages-unread-count"),
    path("<int:pk>/read/", api.MessageReadView.as_view(), name="api-message-read"),
    path("read-all/", api.MarkAllReadView.as_view(), name="api-messages-read-all"),
]
