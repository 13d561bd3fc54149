"""API routes of the tools app."""

from django.urls import path

urlpatterns: list = []
