"""This implementation's version: the installed distribution's (``heroic --version``, ``/``
and ``/status`` when heroic.yml sets no ``version``)."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "heroic-on-kubernetes"


def package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "0+unknown"
