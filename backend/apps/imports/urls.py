"""API routes of the imports app."""

from django.urls import path

from apps.imports.apis import GenericSchemaApi, ImportFormatListApi, ProjectImportApi

urlpatterns = [
    path("imports/formats/", ImportFormatListApi.as_view(), name="import-formats"),
    path(
        "imports/formats/generic/schema/",
        GenericSchemaApi.as_view(),
        name="import-format-generic-schema",
    ),
    path("projects/<int:project_pk>/imports/", ProjectImportApi.as_view(), name="project-imports"),
]
