"""Report import endpoints: the formats SecuLite reads, the generic format's JSON Schema, and
POST /projects/{project_pk}/imports/ (members and owners, or a key limited to the project with
the `import` scope; auditors 403, others 404).

The upload is streamed to a temporary file by Django's upload handlers and moved into media
storage; a body larger than SECULITE_IMPORT_MAX_BYTES (plus the multipart envelope) is refused
from its Content-Length before any of it is read.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.scopes import KeyScope
from apps.common.errors import ServiceError
from apps.common.roles import ProjectRole
from apps.imports.checks import import_max_bytes
from apps.imports.formats import import_formats
from apps.imports.generic import generic_schema
from apps.imports.serializers import ImportFormatSerializer, ImportInputSerializer
from apps.imports.services import import_start
from apps.projects.selectors import project_get_for_user
from apps.scans.selectors import scan_get_for_user
from apps.scans.serializers import ScanDetailSerializer

# Room for the multipart boundaries and the other fields around the file.
ENVELOPE_BYTES = 1024 * 1024


class ImportFormatListApi(APIView):
    scoped_key_access = {"GET": KeyScope.READ}

    @extend_schema(tags=["imports"], responses=ImportFormatSerializer(many=True))
    def get(self, request: Request) -> Response:
        """Every report format an import accepts, with what each expects."""
        return Response([fmt.as_json() for fmt in import_formats()])


class GenericSchemaApi(APIView):
    scoped_key_access = {"GET": KeyScope.READ}

    @extend_schema(
        tags=["imports"],
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="JSON Schema")},
    )
    def get(self, request: Request) -> Response:
        """The JSON Schema (draft 2020-12) of the SecuLite generic report format."""
        return Response(generic_schema())


class ProjectImportApi(APIView):
    parser_classes = [MultiPartParser]
    # A CI key limited to the project imports with the `import` scope.
    scoped_key_access = {"POST": KeyScope.IMPORT}

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before authentication, whose CSRF check would read (and store) the whole body.
        length = request.META.get("CONTENT_LENGTH") or ""
        limit = import_max_bytes()
        if length.isdigit() and int(length) > limit + ENVELOPE_BYTES:
            raise ServiceError(
                f"The upload is {int(length)} bytes; this server imports reports of at most "
                f"{limit} bytes (SECULITE_IMPORT_MAX_BYTES).",
                code="request_too_large",
                status_code=413,
            )
        super().initial(request, *args, **kwargs)

    @extend_schema(
        tags=["imports"],
        parameters=[OpenApiParameter("project_pk", int, OpenApiParameter.PATH)],
        request={"multipart/form-data": ImportInputSerializer},
        responses={202: ScanDetailSerializer},
    )
    def post(self, request: Request, project_pk: Any = None) -> Response:
        """Import a report: answers 202 with the queued scan (trigger `import`) to poll; the
        worker reads the report and ends the scan like a run."""
        project = project_get_for_user(
            project_id=project_pk, user=request.user, min_role=ProjectRole.MEMBER
        )
        data = ImportInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scan = import_start(project=project, user=request.user, **data.service_kwargs())
        scan = scan_get_for_user(user=request.user, scan_id=scan.pk)
        return Response(
            ScanDetailSerializer(scan).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"/api/v1/scans/{scan.pk}/"},
        )
