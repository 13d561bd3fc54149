"""The `seculite` command line: import reports, run scans and gate merges on new findings."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seculite-cli")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
