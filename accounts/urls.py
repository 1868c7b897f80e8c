from __future__ import annotations

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("language/", views.set_language, name="set_language"),
    path("theme/", views.set_theme, name="set_theme"),
    path("security/", views.security, name="security"),
    path("security/api-keys/", views.create_api_key, name="create_api_key"),
    path("security/api-keys/<uuid:key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("delete/", views.delete_account, name="delete"),
]
