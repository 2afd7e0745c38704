"""Fetch the JVM components from Maven Central: Kafka and Cassandra classpaths, Elasticsearch.

Maven resolves through the machine's settings (and ~/.m2), so a mirror configured there is used.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from heroic_testenv.recipes.shell import run

POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>testenv.local</groupId><artifactId>{name}</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>{dependencies}</dependencies>
</project>
"""
DEPENDENCY = (
    "<dependency><groupId>{g}</groupId><artifactId>{a}</artifactId><version>{v}</version>"
    "<type>{t}</type></dependency>"
)
LOG4J = "2.24.3"


def _classpath(component: str, target: Path, coordinates: list[str]) -> None:
    deps = []
    for coordinate in coordinates:
        g, a, v, *rest = coordinate.split(":")
        deps.append(DEPENDENCY.format(g=g, a=a, v=v, t=rest[0] if rest else "jar"))
    (target / "pom.xml").write_text(POM.format(name=component, dependencies="".join(deps)))
    run(
        component,
        [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(target / "pom.xml"),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={target / 'libs'}",
        ],
        cwd=target,
        log=target / "build.log",
    )


def build_kafka(target: Path, version: str, scala: str) -> None:
    """The broker's runtime classpath, with log4j2 so that it logs."""
    _classpath(
        "kafka",
        target,
        [
            f"org.apache.kafka:kafka_{scala}:{version}",
            f"org.apache.logging.log4j:log4j-core:{LOG4J}",
            f"org.apache.logging.log4j:log4j-slf4j-impl:{LOG4J}",
        ],
    )


def build_cassandra(target: Path, version: str) -> None:
    """cassandra-all and its runtime dependencies (jamm included)."""
    _classpath("cassandra", target, [f"org.apache.cassandra:cassandra-all:{version}"])


ANALYSIS_DESCRIPTOR = """description=Adds "built in" analyzers to Elasticsearch.
version={v}
name=analysis-common
classname=org.elasticsearch.analysis.common.CommonAnalysisPlugin
java.version=1.8
elasticsearch.version={v}
extended.plugins=
has.native.controller=false
"""


def build_elasticsearch(target: Path, version: str) -> None:
    """The integ-test distribution plus the analysis-common module it leaves out."""
    _classpath(
        "elasticsearch",
        target,
        [
            f"org.elasticsearch.distribution.integ-test-zip:elasticsearch:{version}:zip",
            f"org.codelibs.elasticsearch.module:analysis-common:{version}",
        ],
    )
    libs = target / "libs"
    with zipfile.ZipFile(libs / f"elasticsearch-{version}.zip") as archive:
        archive.extractall(target)
    home = target / f"elasticsearch-{version}"
    for script in (home / "bin").iterdir():
        script.chmod(0o755)
    module = home / "modules" / "analysis-common"
    module.mkdir()
    shutil.copy(libs / f"analysis-common-{version}.jar", module)
    (module / "plugin-descriptor.properties").write_text(ANALYSIS_DESCRIPTOR.format(v=version))
    shutil.rmtree(libs)
