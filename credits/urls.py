"""Credits and billing pages, mounted at the root: /plans, /credits/..., /billing/..., /settings/usage."""

from __future__ import annotations

from django.urls import path

from credits.views import billing, pages

app_name = "credits"

urlpatterns = [
    path("plans/", pages.plans, name="plans"),
    path("credits/bar/", pages.credits_bar, name="bar"),
    path("credits/recent/", pages.recent_usage, name="recent"),
    path("credits/top-up/", pages.top_up, name="top_up"),
    path("settings/usage/", pages.usage, name="usage"),
    path("settings/usage.csv", pages.usage_csv, name="usage_csv"),
    path("settings/usage/cap/", pages.set_cap, name="set_cap"),
    path("billing/subscribe/", billing.subscribe, name="subscribe"),
    path("billing/top-up/", billing.buy_top_up, name="buy_top_up"),
    path("billing/portal/", billing.portal, name="portal"),
    path("billing/return/", billing.checkout_return, name="checkout_return"),
]
