"""Writes to scan configurations and scans, one module per subject.

`configurations` (create, change, clone, delete) and `schedule_sync` (the beat hook) are
re-exported here; `scans` (start, cancel) and `execution` (the worker side) are imported from
their modules, so loading this package stays cheap.
"""

from apps.scans.services.configurations import (
    ScanConfigurationWrite,
    ToolChoice,
    WebhookTriggerRefused,
    scan_configuration_clone,
    scan_configuration_create,
    scan_configuration_delete,
    scan_configuration_update,
    scan_configuration_webhook_trigger,
    webhook_token_hash,
)
from apps.scans.services.schedule_sync import scan_configuration_schedule_sync

__all__ = [
    "ScanConfigurationWrite",
    "ToolChoice",
    "WebhookTriggerRefused",
    "scan_configuration_clone",
    "scan_configuration_create",
    "scan_configuration_delete",
    "scan_configuration_schedule_sync",
    "scan_configuration_update",
    "scan_configuration_webhook_trigger",
    "webhook_token_hash",
]
