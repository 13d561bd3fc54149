"""Scan configuration and scan endpoints.

Configurations live under /projects/{project_pk}/scan-configurations/ (auditors read, members
write). Scans are read at /scans/ across every visible project and at
/projects/{project_pk}/scans/ for one project. Members start scans from a configuration, cancel
and re-run them; everyone with a role reads tool results and downloads raw tool output, and
polls /scans/{id}/status/ for live progress. CI systems start a configuration's scan with
its webhook token at /webhooks/scan-configurations/{id}/trigger/, with no user session.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from apps.accounts.models import ApiKey
from apps.accounts.scopes import KeyScope
from apps.common.roles import ProjectRole
from apps.common.viewsets import ProjectScopedReadViewSet, ProjectScopedViewSet
from apps.notifications.webhook_deliveries import webhook_secret_rotate
from apps.projects.selectors import project_get_for_user
from apps.scans import services
from apps.scans.compare import scan_compare
from apps.scans.compare_serializers import ScanCompareQuerySerializer, ScanCompareSerializer
from apps.scans.filters import ScanConfigurationFilter, ScanFilter
from apps.scans.models import Scan, ScanConfiguration, ScanToolResult, ScanTrigger
from apps.scans.selectors import (
    scan_configuration_get,
    scan_configuration_list,
    scan_get_for_user,
    scan_list,
    scan_live_status_get_for_user,
)
from apps.scans.serializers import (
    ScanConfigurationCloneSerializer,
    ScanConfigurationInputSerializer,
    ScanConfigurationOutputSerializer,
    ScanDetailSerializer,
    ScanListSerializer,
    ScanLiveStatusSerializer,
    ScanStartInputSerializer,
    ScanToolResultSerializer,
)
from apps.scans.services.scans import TOOL_RESULT_FINAL, scan_cancel, scan_rescan, scan_start

PROJECT_PK = OpenApiParameter("project_pk", int, OpenApiParameter.PATH, description="Project id.")
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="The ETag of the last answer: 304 Not Modified while nothing changed.",
)


def _trigger_for(request: Request) -> str:
    """Calls made with an API key are `api` scans; the web app's are `manual`."""
    return ScanTrigger.API if isinstance(request.auth, ApiKey) else ScanTrigger.MANUAL


class ScanStartMixin:
    @extend_schema(
        parameters=[PROJECT_PK, ID],
        request=ScanStartInputSerializer,
        responses={202: ScanDetailSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def start(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        """Start a scan of this configuration now; answers 202 with the queued scan.

        Optional `ref`: the branch, tag or full ref (refs/pull/12/head,
        refs/merge-requests/3/head) its git targets are checked out at; none means each
        target's default branch. Only scans of the default branch resolve or reopen findings.
        """
        configuration = self.get_object()  # type: ignore[attr-defined]
        data = ScanStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        scan = scan_start(
            configuration=configuration,
            trigger=_trigger_for(request),
            user=request.user,
            ref=data.validated_data.get("ref", ""),
        )
        return Response(ScanDetailSerializer(scan).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["scan-configurations"])
@extend_schema_view(
    list=extend_schema(parameters=[PROJECT_PK]),
    retrieve=extend_schema(parameters=[PROJECT_PK, ID]),
    destroy=extend_schema(parameters=[PROJECT_PK, ID]),
)
class ScanConfigurationViewSet(ScanStartMixin, ProjectScopedReadViewSet):
    """Scan configurations of one project: auditors and up read, members and up write."""

    scoped_key_access = {"list": KeyScope.READ, "retrieve": KeyScope.READ, "start": KeyScope.SCAN}

    queryset = ScanConfiguration.objects.none()
    serializer_class = ScanConfigurationOutputSerializer
    filterset_class = ScanConfigurationFilter
    search_fields = ["name", "description"]
    ordering_fields = ["name", "created_at", "updated_at", "schedule_type"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[ScanConfiguration]:
        if getattr(self, "swagger_fake_view", False):
            return ScanConfiguration.objects.none()
        return scan_configuration_list(user=self.request.user, project=self.project)

    def get_object(self) -> ScanConfiguration:
        return scan_configuration_get(
            user=self.request.user, project=self.project, configuration_id=self.kwargs["pk"]
        )

    def _output(
        self,
        configuration: ScanConfiguration,
        webhook_token: str | None = None,
        webhook_secret: str | None = None,
    ) -> Any:
        """Serialise a freshly written configuration, re-read so its relations are current;
        a token or secret issued by this write is shown this once."""
        fresh = scan_configuration_get(
            user=self.request.user, project=self.project, configuration_id=configuration.pk
        )
        context = {
            **self.get_serializer_context(),
            "webhook_token": webhook_token,
            "webhook_secret": webhook_secret,
        }
        return ScanConfigurationOutputSerializer(fresh, context=context).data

    @extend_schema(
        parameters=[PROJECT_PK],
        request=ScanConfigurationInputSerializer,
        responses={201: ScanConfigurationOutputSerializer},
    )
    def create(self, request: Request, project_pk: Any = None) -> Response:
        data = ScanConfigurationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.scan_configuration_create(
            project=self.project, user=request.user, **data.validated_data
        )
        return Response(
            self._output(result.configuration, result.webhook_token, result.webhook_secret),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[PROJECT_PK, ID],
        request=ScanConfigurationInputSerializer,
        responses=ScanConfigurationOutputSerializer,
    )
    def partial_update(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        configuration = self.get_object()
        data = ScanConfigurationInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        result = services.scan_configuration_update(
            configuration=configuration, data=data.validated_data
        )
        return Response(
            self._output(result.configuration, result.webhook_token, result.webhook_secret)
        )

    def destroy(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        services.scan_configuration_delete(configuration=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[PROJECT_PK, ID],
        request=ScanConfigurationCloneSerializer,
        responses={201: ScanConfigurationOutputSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def clone(self, request: Request, project_pk: Any = None, pk: Any = None) -> Response:
        """Copy the configuration; the copy's schedule and webhook start switched off."""
        data = ScanConfigurationCloneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clone = services.scan_configuration_clone(
            configuration=self.get_object(),
            user=request.user,
            name=data.validated_data.get("name"),
        )
        return Response(
            self._output(clone.configuration, webhook_secret=clone.webhook_secret),
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        parameters=[PROJECT_PK, ID],
        request=None,
        responses={
            200: ScanConfigurationOutputSerializer,
            400: OpenApiResponse(description="The configuration has no notification webhook."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="webhook-secret/rotate",
        filter_backends=[],
    )
    def rotate_webhook_secret(
        self, request: Request, project_pk: Any = None, pk: Any = None
    ) -> Response:
        """Replace the notification webhook's signing secret; the new one is in this response
        (`notify_webhook_secret`) and never shown again. The old one stops verifying at once."""
        configuration = self.get_object()
        if not configuration.notify_webhook_url:
            raise exceptions.ValidationError(
                {"notify_webhook_url": ["Set a webhook URL first; it comes with a secret."]}
            )
        secret = webhook_secret_rotate(configuration=configuration)
        return Response(self._output(configuration, webhook_secret=secret))


@extend_schema(tags=["scans"])
class ScanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Scans of every project the caller can see (all projects for staff)."""

    # Not raw_output: a project key's job needs findings, not whole tool reports (which can
    # quote secrets as found).
    scoped_key_access = {
        "list": KeyScope.READ,
        "retrieve": KeyScope.READ,
        "live_status": KeyScope.READ,
        "tool_results": KeyScope.READ,
        "compare": KeyScope.READ,
    }

    queryset = Scan.objects.none()
    serializer_class = ScanListSerializer
    filterset_class = ScanFilter
    search_fields = ["configuration__name"]
    ordering_fields = ["created_at", "started_at", "finished_at", "status"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Scan]:
        if getattr(self, "swagger_fake_view", False):
            return Scan.objects.none()
        return scan_list(user=self.request.user)

    def get_serializer_class(self) -> type[ScanListSerializer]:
        return ScanDetailSerializer if self.action == "retrieve" else ScanListSerializer

    def get_object(self) -> Scan:
        return scan_get_for_user(user=self.request.user, scan_id=self.kwargs["pk"])

    @extend_schema(parameters=[ID])
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ScanDetailSerializer(self.get_object()).data)

    def _scan_for_member(self) -> Scan:
        scan = self.get_object()
        project_get_for_user(
            project_id=scan.project_id, user=self.request.user, min_role=ProjectRole.MEMBER
        )
        return scan

    @extend_schema(
        parameters=[ID, IF_NONE_MATCH],
        responses={200: ScanLiveStatusSerializer, 304: None},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="status",
        filter_backends=[],
        pagination_class=None,
    )
    def live_status(self, request: Request, pk: Any = None) -> Response:
        """Status, progress, current step and every tool run's status: a small answer to poll
        every few seconds. Send the last ETag as If-None-Match to get 304 while nothing
        changed."""
        data = ScanLiveStatusSerializer(
            scan_live_status_get_for_user(user=request.user, scan_id=pk)
        ).data
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode())
        etag = f'W/"{digest.hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        sent = request.headers.get("If-None-Match", "")
        if etag in (tag.strip() for tag in sent.split(",")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(data, headers=headers)

    @extend_schema(parameters=[ID], request=None, responses=ScanDetailSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request: Request, pk: Any = None) -> Response:
        """Cancel the scan; running tools are killed within a few seconds."""
        scan_cancel(scan=self._scan_for_member())
        return Response(ScanDetailSerializer(self.get_object()).data)

    @extend_schema(parameters=[ID], request=None, responses={202: ScanDetailSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def rescan(self, request: Request, pk: Any = None) -> Response:
        """Run the scan's configuration again."""
        scan = scan_rescan(
            scan=self._scan_for_member(), user=request.user, trigger=_trigger_for(request)
        )
        return Response(ScanDetailSerializer(scan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[ID, ScanCompareQuerySerializer],
        responses={
            200: ScanCompareSerializer,
            400: OpenApiResponse(
                description="An invalid ref or limit, or a base scan of another project."
            ),
            404: OpenApiResponse(description="The scan or the base scan is out of reach."),
        },
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def compare(self, request: Request, pk: Any = None) -> Response:
        """Which findings are new, fixed and unchanged relative to a base: a ref (the latest
        completed scan of that ref sharing a target with this one) or a scan id. New findings
        exclude those triaged as false positive or accepted risk."""
        query = ScanCompareQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        comparison = scan_compare(
            scan=self.get_object(),
            base=query.validated_data.get("base"),
            user=request.user,
            limit=query.validated_data["limit"],
        )
        return Response(ScanCompareSerializer(comparison).data)

    @extend_schema(parameters=[ID], responses=ScanToolResultSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        url_path="tool-results",
        filter_backends=[],
        pagination_class=None,
    )
    def tool_results(self, request: Request, pk: Any = None) -> Response:
        """Every tool run of the scan, with status, version, exit code, timings and errors."""
        scan = self.get_object()
        return Response(ScanToolResultSerializer(scan.tool_results.all(), many=True).data)

    @extend_schema(
        parameters=[ID, OpenApiParameter("result_id", int, OpenApiParameter.PATH)],
        responses={(200, "application/octet-stream"): bytes},
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        url_path=r"tool-results/(?P<result_id>\d+)/raw",
    )
    def raw_output(self, request: Request, pk: Any = None, result_id: Any = None) -> Any:
        """Download one tool run's raw output, exactly as the tool wrote it."""
        scan = self.get_object()
        result = ScanToolResult.objects.filter(scan=scan, pk=result_id).first()
        # Not while the result runs: an import's upload is kept as it came until the worker
        # has rewritten the secrets out of it.
        if result is None or not result.raw_output or result.status not in TOOL_RESULT_FINAL:
            raise Http404
        return FileResponse(
            result.raw_output.open("rb"),
            as_attachment=True,
            filename=f"scan-{scan.pk}-{result.tool.slug}-{result.pk}.out",
            content_type="application/octet-stream",
        )


@extend_schema(tags=["scans"])
@extend_schema_view(list=extend_schema(parameters=[PROJECT_PK]))
class ProjectScanViewSet(mixins.ListModelMixin, ProjectScopedViewSet):
    """Scans of one project."""

    scoped_key_access = {"list": KeyScope.READ}

    queryset = Scan.objects.none()
    serializer_class = ScanListSerializer
    filterset_class = ScanFilter
    search_fields = ["configuration__name"]
    ordering_fields = ["created_at", "started_at", "finished_at", "status"]
    ordering = ["-created_at"]

    def get_queryset(self) -> QuerySet[Scan]:
        if getattr(self, "swagger_fake_view", False):
            return Scan.objects.none()
        return scan_list(user=self.request.user, project=self.project)


WEBHOOK_TOKEN_HEADER = "X-SecuLite-Token"  # noqa: S105 - a header name, not a secret


def _webhook_token(request: Request) -> str:
    """The token from X-SecuLite-Token or `Authorization: Bearer`; "" when neither is sent.

    Never from the query string, which proxies and access logs keep.
    """
    token = request.headers.get(WEBHOOK_TOKEN_HEADER, "").strip()
    if token:
        return token
    scheme, _, credentials = request.headers.get("Authorization", "").strip().partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else ""


@extend_schema(tags=["scan-configurations"])
class ScanConfigurationWebhookTriggerApi(APIView):
    """Start a scan of one configuration with its webhook token (for CI systems)."""

    # The token is the only credential: no session (hence no CSRF) and no API key.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "scan_webhook"

    def get_authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with this challenge) rather than 403 when no token is sent.
        return 'Bearer realm="scan-configuration-webhook"'

    @extend_schema(
        operation_id="scan_configurations_webhook_trigger",
        auth=[],
        request=ScanStartInputSerializer,
        parameters=[
            OpenApiParameter("configuration_id", int, OpenApiParameter.PATH),
            OpenApiParameter(
                WEBHOOK_TOKEN_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="The configuration's webhook token (or send "
                "`Authorization: Bearer <token>`).",
            ),
        ],
        responses={
            202: inline_serializer(
                "WebhookTriggerAccepted",
                {
                    "id": serializers.IntegerField(help_text="The queued scan's id."),
                    "status": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="The configuration cannot start a scan now."),
            401: OpenApiResponse(description="No token was sent."),
            404: OpenApiResponse(
                description="No configuration with this id has this token and its webhook on "
                "(one answer for all three, so nothing is revealed)."
            ),
            429: OpenApiResponse(description="Too many triggers from this address."),
        },
    )
    def post(self, request: Request, configuration_id: int) -> Response:
        """Start a scan now (trigger `webhook`), optionally at `ref` (as the configuration's
        start); answers 202 with the scan id.

        The token is compared in constant time; a wrong token, an unknown configuration and a
        webhook turned off get the same 404. Rate limited per client address
        (`THROTTLE_SCAN_WEBHOOK`).
        """
        token = _webhook_token(request)
        if not token:
            raise exceptions.NotAuthenticated(
                f"Send the configuration's webhook token in {WEBHOOK_TOKEN_HEADER} or as "
                "Authorization: Bearer <token>."
            )
        try:
            body = request.data if isinstance(request.data, dict) else {}
            scan = services.scan_configuration_webhook_trigger(
                configuration_id=configuration_id, token=token, ref=body.get("ref") or ""
            )
        except services.WebhookTriggerRefused:
            raise exceptions.NotFound(
                "No scan configuration with this id accepts this webhook token."
            ) from None
        return Response({"id": scan.pk, "status": scan.status}, status=status.HTTP_202_ACCEPTED)
