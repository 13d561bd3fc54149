"""SecuLite's own config files for tools that would otherwise read one from the scanned tree."""

from pathlib import Path

TOOL_CONFIGS = Path(__file__).resolve().parent
