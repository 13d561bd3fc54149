"""Django REST framework and drf-spectacular."""

from seculite_api.env import env

# Reverse proxies in front of Django that set X-Forwarded-For / X-Real-IP (nginx: 1). With 0
# the socket peer is the client, so throttles and lockouts cannot be dodged by a spoofed header.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)

# How deep a JSON request body may nest (objects and lists); deeper bodies answer 400.
SECULITE_JSON_MAX_DEPTH = env.int("SECULITE_JSON_MAX_DEPTH", default=32)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiKeyAuthentication",
        "apps.accounts.authentication.CsrfSessionAuthentication",
    ],
    # A project-scoped API key reaches only views that declare `scoped_key_access`
    # (apps/accounts/permissions.py). A view that sets its own permission_classes keeps it.
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.permissions.ScopedApiKeyPermission",
    ],
    # JSON nested past SECULITE_JSON_MAX_DEPTH is a 400; forms and uploads as DRF's defaults.
    "DEFAULT_PARSER_CLASSES": [
        "apps.common.parsers.DepthLimitedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.common.pagination.StandardPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.common.ids.IdFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.common.errors.api_exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "login": env.str("THROTTLE_LOGIN", default="10/min"),
        # Second-factor calls (enrolment, challenge, removal); wrong codes also lock out.
        "mfa": env.str("THROTTLE_MFA", default="30/min"),
        "register": env.str("THROTTLE_REGISTER", default="5/hour"),
        "password_reset": env.str("THROTTLE_PASSWORD_RESET", default="5/hour"),
        # Each export streams up to every finding a user can see: generous, but bounded.
        "findings_export": env.str("THROTTLE_FINDINGS_EXPORT", default="60/hour"),
        # Inbound webhook triggers per client address (right or wrong token alike).
        "scan_webhook": env.str("THROTTLE_SCAN_WEBHOOK", default="30/min"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "SecuLite API",
    "DESCRIPTION": "Security monitoring: projects, targets, scans and findings.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ApiKeyScopeEnum": "apps.accounts.scopes.KeyScope",
        "AssetTypeEnum": "apps.targets.models.AssetType",
        "WebhookFormatEnum": "apps.notifications.formats.WebhookFormat",
        "InboxEventEnum": "apps.notifications.inbox_models.InboxEvent",
        # The webhook delivery status kept its first generated name when reports added theirs.
        "StatusEnum": "apps.notifications.models.DeliveryStatus",
        "ReportFormatEnum": "apps.reports.models.ReportFormat",
        "ReportStatusEnum": "apps.reports.models.ReportStatus",
        "ReportKindEnum": "apps.reports.models.ReportKind",
        "MfaMethodEnum": "apps.accounts.mfa.policy.MfaMethod",
        "AuditActionEnum": "apps.accounts.audit.AuditAction",
        "SignInStatusEnum": "apps.accounts.signin.SIGN_IN_STATUSES",
    },
    # Swagger UI is served from our own static files, not a CDN (offline installs, strict CSP).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
