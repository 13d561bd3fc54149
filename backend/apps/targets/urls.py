"""API routes of the targets app."""

from django.urls import path

urlpatterns: list = []
