"""Staff add identity providers in the admin as allauth SocialApps; the client secret is a
write-only field, stored encrypted (apps/sso/secrets.py) and never shown again."""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.admin import SocialAppAdmin, SocialAppForm
from allauth.socialaccount.models import SocialApp
from django import forms
from django.contrib import admin

from apps.sso.secrets import client_secret_encrypt


class EncryptedSecretSocialAppForm(SocialAppForm):
    secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"size": "100"}),
        help_text="Write-only: stored encrypted. Leave empty to keep the current secret.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["secret"] = ""

    def clean_secret(self) -> str:
        entered = self.cleaned_data.get("secret") or ""
        if not entered and self.instance.pk:
            return str(SocialApp.objects.get(pk=self.instance.pk).secret)
        return client_secret_encrypt(entered)


class EncryptedSecretSocialAppAdmin(SocialAppAdmin):
    form = EncryptedSecretSocialAppForm


admin.site.unregister(SocialApp)
admin.site.register(SocialApp, EncryptedSecretSocialAppAdmin)
