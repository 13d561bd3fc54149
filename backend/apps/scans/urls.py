"""API routes of the scans app."""

from django.urls import path

urlpatterns: list = []
