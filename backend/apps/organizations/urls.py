"""API routes of the organizations app."""

from django.urls import path

urlpatterns: list = []
