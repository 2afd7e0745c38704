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


# analysis-common (edge_ngram, word_delimiter: the suggest mappings) as a module folder, for the
# integ-test zips that leave it out. Without lang-painless beside it, it extends nothing: its
# painless extension is only looked up by painless itself.
ANALYSIS_DESCRIPTOR = """description=Adds "built in" analyzers.
version={v}
name=analysis-common
classname={classname}
java.version={java}
{product}.version={v}
extended.plugins=
has.native.controller=false
"""
ELASTICSEARCH_ANALYSIS = "org.elasticsearch.analysis.common.CommonAnalysisPlugin"
OPENSEARCH_ANALYSIS = "org.opensearch.analysis.common.CommonAnalysisPlugin"  # 2.x name


def _distribution(target: Path, product: str, version: str, extra: list[str]) -> Path:
    """Unpack ``<product>``'s integ-test zip of ``version`` (with ``extra`` artifacts beside it
    in ``libs``); returns the unpacked home."""
    group = f"org.{product}.distribution.integ-test-zip"
    _classpath(product, target, [f"{group}:{product}:{version}:zip", *extra])
    with zipfile.ZipFile(target / "libs" / f"{product}-{version}.zip") as archive:
        archive.extractall(target)
    home = target / f"{product}-{version}"
    for script in (home / "bin").iterdir():
        script.chmod(0o755)
    return home


def _add_analysis_module(home: Path, jar: Path, descriptor: str) -> None:
    module = home / "modules" / "analysis-common"
    module.mkdir()
    shutil.copy(jar, module)
    (module / "plugin-descriptor.properties").write_text(descriptor)


def build_elasticsearch(target: Path, version: str, *, analysis_common: bool = True) -> None:
    """The integ-test distribution, plus (7.10) the analysis-common module it leaves out, which
    codelibs republishes on Maven Central only up to 7.10. Elasticsearch 8 and 9 get none."""
    extra = [f"org.codelibs.elasticsearch.module:analysis-common:{version}"]
    home = _distribution(target, "elasticsearch", version, extra if analysis_common else [])
    if analysis_common:
        descriptor = ANALYSIS_DESCRIPTOR.format(
            v=version, classname=ELASTICSEARCH_ANALYSIS, java="1.8", product="elasticsearch"
        )
        _add_analysis_module(home, target / "libs" / f"analysis-common-{version}.jar", descriptor)
    shutil.rmtree(target / "libs")


def build_opensearch(target: Path, version: str) -> None:
    """OpenSearch's integ-test distribution; where it leaves analysis-common out (2.x ships only
    transport-netty4), the module's jar from ``org.opensearch.plugin`` is added."""
    zip_only = _distribution(target, "opensearch", version, [])
    if not (zip_only / "modules" / "analysis-common").exists():
        _classpath(
            "opensearch-analysis",
            target,
            [f"org.opensearch.plugin:analysis-common:{version}"],
        )
        descriptor = ANALYSIS_DESCRIPTOR.format(
            v=version, classname=OPENSEARCH_ANALYSIS, java="11", product="opensearch"
        )
        _add_analysis_module(
            zip_only, target / "libs" / f"analysis-common-{version}.jar", descriptor
        )
    shutil.rmtree(target / "libs")
