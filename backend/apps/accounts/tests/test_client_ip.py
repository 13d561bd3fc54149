"""Lockouts key on an address the client cannot choose."""

from django.test import RequestFactory

from apps.accounts.lockout import client_ip


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(settings):
    settings.NUM_PROXIES = 0
    request = RequestFactory().get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_REAL_IP="198.51.100.1")
    assert client_ip(request) == "203.0.113.7"


def test_behind_nginx_the_real_ip_header_is_used(settings):
    settings.NUM_PROXIES = 1
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="198.51.100.1")
    assert client_ip(request) == "198.51.100.1"
