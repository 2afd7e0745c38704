"""Small helpers for the JVM components (Kafka, Elasticsearch, Cassandra)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

JDK17 = Path("/usr/lib/jvm/java-17-openjdk-amd64")


def java_home() -> Path:
    """JDK 17: ``$TESTENV_JAVA_HOME``, else the Debian default, else the one on PATH."""
    explicit = os.environ.get("TESTENV_JAVA_HOME")
    if explicit:
        return Path(explicit)
    if (JDK17 / "bin" / "java").exists():
        return JDK17
    java = shutil.which("java")
    if java is None:
        raise FileNotFoundError("no java found: install a JDK 17 or set TESTENV_JAVA_HOME")
    return Path(java).resolve().parent.parent


def java() -> str:
    return str(java_home() / "bin" / "java")


def log_contains(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False
