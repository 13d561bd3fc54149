"""API routes of the accounts app."""

from django.urls import path

urlpatterns: list = []
