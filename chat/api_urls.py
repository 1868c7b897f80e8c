"""Routes of /api/v1/conversations/."""

from __future__ import annotations

from django.urls import path

from chat import api

urlpatterns = [
    path("", api.ConversationListView.as_view(), name="conversations"),
    path("<uuid:conversation_id>/", api.ConversationDetailView.as_view(), name="conversation-detail"),
    path("<uuid:conversation_id>/messages/", api.MessageCreateView.as_view(), name="conversation-messages"),
]
