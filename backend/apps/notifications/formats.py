"""Webhook bodies per format: generic JSON, Slack and Microsoft Teams incoming webhooks.

Each chat format is built from the generic payload (`content.scan_webhook_payload`), so all
three say the same thing and none can carry more than it does: no webhook URL, token or
secret, findings by title, severity and location only. Titles and locations come from scanned
code and tool output, so they are escaped for the chat's markup: a finding cannot add a link or
a mention to the message.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import models


class WebhookFormat(models.TextChoices):
    GENERIC = "generic", "Generic JSON"
    SLACK = "slack", "Slack incoming webhook"
    TEAMS = "teams", "Microsoft Teams incoming webhook"


SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational", "unknown")
# Slack limits: header text 150 characters, a section's text 3000.
_SLACK_HEADER_MAX = 150
_SLACK_SECTION_MAX = 3000


def _headline(payload: dict[str, Any]) -> str:
    scan = payload["scan"]
    configuration = payload.get("configuration") or {}
    name = configuration.get("name") or "a deleted configuration"
    outcome = str(scan["status"]).replace("_", " ")
    return f'Scan #{scan["id"]} of "{name}" in {payload["project"]["name"]}: {outcome}'


def _new_findings_line(payload: dict[str, Any]) -> str:
    new = payload["new_findings"]
    counts = new.get("counts") or {}
    if not counts:
        return f"No new findings of severity {new['min_severity']} or higher."
    parts = [f"{counts[sev]} {sev}" for sev in SEVERITY_ORDER if counts.get(sev)]
    return f"New findings ({new['min_severity']}+): " + ", ".join(parts)


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- Slack -----------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn escaping: &, < and > are the only characters that form links and
    mentions (<!channel>, <url|text>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` (the notification and fallback) and `blocks`."""
    headline = _headline(payload)
    scan = payload["scan"]
    summary_line = _new_findings_line(payload)
    details = [f"*{_slack_escape(summary_line)}*"]
    if scan.get("error_message"):
        details.append(f"What went wrong: {_slack_escape(str(scan['error_message']))}")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cap(headline, _SLACK_HEADER_MAX)},
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cap("\n".join(details), _SLACK_SECTION_MAX)},
        },
    ]
    top = payload["new_findings"].get("top") or []
    if top:
        lines = []
        for finding in top:
            location = finding.get("location") or ""
            where = f" — `{_slack_escape(location.replace('`', chr(39)))}`" if location else ""
            lines.append(
                f"• *{finding['severity']}* <{finding['url']}|{_slack_escape(finding['title'])}>"
                f"{where}"
            )
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _cap("\n".join(lines), _SLACK_SECTION_MAX)},
            }
        )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Open the scan"},
                    "url": scan["url"],
                }
            ],
        }
    )
    return {"text": f"{_slack_escape(headline)}. {_slack_escape(summary_line)}", "blocks": blocks}


# --- Microsoft Teams -------------------------------------------------------------------------

# What Adaptive Cards' Markdown subset reads as markup: emphasis, links, code; and a list
# marker at the start of a text.
_TEAMS_MARKDOWN = re.compile(r"([\\`*_\[\]()~])")
_TEAMS_LIST_START = re.compile(r"^(\s*)([-+]|\d+(?=\.))")


def _teams_escape(text: str) -> str:
    """Backslash-escape what Teams would read as markup (CommonMark escapes), so a finding's
    title is shown as written and cannot add a link."""
    escaped = _TEAMS_MARKDOWN.sub(r"\\\1", text)
    # "- x" becomes "\- x"; "1. x" becomes "1\. x" (a digit cannot be escaped, its dot can).
    return _TEAMS_LIST_START.sub(
        lambda m: f"{m[1]}\\{m[2]}" if m[2] in "-+" else f"{m[1]}{m[2]}\\", escaped
    )


def teams_body(payload: dict[str, Any]) -> dict[str, Any]:
    """A Microsoft Teams incoming-webhook message carrying an Adaptive Card (version 1.4), the
    shape both Teams' Workflows webhooks and the older connector webhooks accept."""
    scan = payload["scan"]
    configuration = payload.get("configuration") or {}
    facts = [
        {"title": "Project", "value": _teams_escape(payload["project"]["name"])},
        {
            "title": "Configuration",
            "value": _teams_escape(configuration.get("name") or "(deleted)"),
        },
        {"title": "Status", "value": str(scan["status"]).replace("_", " ")},
        {"title": "New findings", "value": _teams_escape(_new_findings_line(payload))},
    ]
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _teams_escape(_headline(payload)),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        },
        {"type": "FactSet", "facts": facts},
    ]
    if scan.get("error_message"):
        body.append(
            {
                "type": "TextBlock",
                "text": _teams_escape(f"What went wrong: {scan['error_message']}"),
                "wrap": True,
                "color": "Attention",
            }
        )
    for finding in payload["new_findings"].get("top") or []:
        location = finding.get("location") or ""
        text = f"**{finding['severity']}** {_teams_escape(finding['title'])}"
        if location:
            text += f" — {_teams_escape(location)}"
        body.append({"type": "TextBlock", "text": text, "wrap": True, "spacing": "Small"})
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": [{"type": "Action.OpenUrl", "title": "Open the scan", "url": scan["url"]}],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook_body(*, payload: dict[str, Any], webhook_format: str) -> bytes:
    """The exact bytes POSTed (and signed) for `payload` in `webhook_format`."""
    if webhook_format == WebhookFormat.SLACK:
        document = slack_body(payload)
    elif webhook_format == WebhookFormat.TEAMS:
        document = teams_body(payload)
    else:
        document = payload
    return json.dumps(document, default=str).encode()
