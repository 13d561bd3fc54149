"""Helpers. INTENTIONALLY VULNERABLE test data for SecuLite: never deploy."""

import hashlib

import requests

ADMIN_USER = "admin"
ADMIN_PASSWORD = "Sup3rS3cretAdm1n!"


def fetch_profile(url):
    return requests.get(url, verify=False, timeout=10).json()


def hash_password(password):
    return hashlib.md5(password.encode()).hexdigest()


def require_admin(user):
    assert user.is_admin, "admin only"
    return True
