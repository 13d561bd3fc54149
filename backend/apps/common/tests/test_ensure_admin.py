"""The install command's admin bootstrap: from the environment, or a generated password."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_creates_admin_with_generated_password_printed_once(monkeypatch):
    monkeypatch.delenv("SECULITE_ADMIN_PASSWORD", raising=False)
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    password = out.getvalue().split("(shown once): ")[1].strip()
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(password)

    again = io.StringIO()
    call_command("ensure_admin", stdout=again)
    assert "already exists" in again.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


def test_creates_admin_from_environment(monkeypatch):
    monkeypatch.setenv("SECULITE_ADMIN_USERNAME", "root-admin")
    monkeypatch.setenv("SECULITE_ADMIN_PASSWORD", "a-long-enough-passphrase-42")
    out = io.StringIO()
    call_command("ensure_admin", stdout=out)
    assert "shown once" not in out.getvalue()
    admin = get_user_model().objects.get(username="root-admin")
    assert admin.check_password("a-long-enough-passphrase-42")
