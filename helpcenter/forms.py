"""The help pages' forms: search, "Was this helpful?" and its comment."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from helpcenter.models import FEEDBACK_MAX_CHARS, QUERY_MAX_CHARS


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the help center"),
        required=False,
        max_length=QUERY_MAX_CHARS,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Search for answers…"), "autocomplete": "off"}
        ),
    )


class VoteForm(forms.Form):
    vote = forms.ChoiceField(
        choices=[
            ("yes", pgettext_lazy("was it helpful", "Yes")),
            ("no", pgettext_lazy("was it helpful", "No")),
        ]
    )


class FeedbackForm(forms.Form):
    comment = forms.CharField(
        label=_("Tell us more (optional)"),
        max_length=FEEDBACK_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
