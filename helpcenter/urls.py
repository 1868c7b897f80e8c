from __future__ import annotations

from django.urls import path

from helpcenter import views

app_name = "helpcenter"

# Fixed paths first: the last route takes any category slug.
urlpatterns = [
    path("", views.index, name="index"),
    path("search/", views.search, name="search"),
    path("search/suggest/", views.search_suggest, name="suggest"),
    # settings.MARKDOWNX_URLS_PATH and MARKDOWNX_UPLOAD_URLS_PATH.
    path("markdownx/markdownify/", views.markdownify, name="markdownx_markdownify"),
    path("markdownx/upload/", views.upload, name="markdownx_upload"),
    path("articles/<slug:slug>/", views.article, name="article"),
    path("articles/<slug:slug>/vote/", views.vote, name="vote"),
    path("articles/<slug:slug>/feedback/", views.feedback, name="feedback"),
    path("<slug:slug>/", views.category, name="category"),
]
