"""The OpenAPI 3 schema is valid and documents every endpoint of API v1."""

import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

EXPECTED_PATHS = {
    "/api/v1/health/": {"get"},
    "/api/v1/projects/": {"get", "post"},
    "/api/v1/projects/{id}/": {"get", "patch", "delete"},
    "/api/v1/projects/{project_pk}/members/": {"get", "post"},
    "/api/v1/projects/{project_pk}/members/{id}/": {"get", "patch", "delete"},
}


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


@pytest.mark.parametrize(("path", "methods"), sorted(EXPECTED_PATHS.items()))
def test_schema_documents_endpoint(schema, path, methods):
    assert path in schema["paths"], f"{path} missing from the schema"
    assert methods <= set(schema["paths"][path]), f"{path}: {schema['paths'][path].keys()}"


def test_docs_page_is_served(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
    # Assets come from our own static files, never a CDN.
    assert b"/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.content
    assert b"cdn.jsdelivr" not in response.content
