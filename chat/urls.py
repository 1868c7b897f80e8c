"""Chat pages at /chat/: the list, a conversation, and the streaming endpoints it posts to."""

from __future__ import annotations

from django.urls import path

from chat import views

app_name = "chat"

urlpatterns = [
    path("", views.index, name="index"),
    path("messages/", views.start, name="start"),
    path("<uuid:conversation_id>/", views.conversation, name="conversation"),
    path("<uuid:conversation_id>/messages/", views.send, name="send"),
    path("<uuid:conversation_id>/regenerate/", views.regenerate, name="regenerate"),
    path("<uuid:conversation_id>/rename/", views.rename, name="rename"),
    path("<uuid:conversation_id>/delete/", views.delete, name="delete"),
    path("<uuid:conversation_id>/model/", views.change_model, name="change_model"),
    path("replies/<uuid:reply_id>/stop/", views.stop, name="stop"),
]
