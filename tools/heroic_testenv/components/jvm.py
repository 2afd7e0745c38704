"""Small helpers for the JVM components (Kafka, Elasticsearch, OpenSearch, Cassandra)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

JVM_DIR = Path("/usr/lib/jvm")
JDK17 = JVM_DIR / "java-17-openjdk-amd64"


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


def recent_java_home() -> Path:
    """A JDK 21 or newer (Elasticsearch 9, OpenSearch 3): ``$TESTENV_JAVA25_HOME``, else the
    Temurin JDK beside Debian's."""
    explicit = os.environ.get("TESTENV_JAVA25_HOME")
    if explicit:
        return Path(explicit)
    found = sorted(JVM_DIR.glob("temurin-2[1-9]-jdk*"), reverse=True)
    found = [p for p in found if (p / "bin" / "java").exists()]
    if not found:
        raise FileNotFoundError(
            f"no JDK 21+ under {JVM_DIR}: install a Temurin 25 JDK or set TESTENV_JAVA25_HOME"
        )
    return found[0]


def java() -> str:
    return str(java_home() / "bin" / "java")


def log_contains(path: Path, text: str) -> bool:
    try:
        return text in path.read_text(errors="replace")
    except OSError:
        return False
