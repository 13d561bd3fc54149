"""API routes of the findings app."""

from django.urls import path

urlpatterns: list = []
