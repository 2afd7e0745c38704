"""OpenSearch nodes: 2.x on JDK 17 and 3.x on a JDK 21+, from their integ-test zips (with
analysis-common added where the zip leaves it out; see recipes/maven.py). No security plugin."""

from __future__ import annotations

from heroic_testenv.components.jvm import java_home, recent_java_home
from heroic_testenv.components.searchnode import SearchNode


class OpenSearch(SearchNode):
    """OpenSearch 2; exports OPENSEARCH_URL."""

    name = "opensearch"
    product = "opensearch"
    url_variable = "OPENSEARCH_URL"
    java_home = staticmethod(java_home)


class OpenSearch3(SearchNode):
    """OpenSearch 3; exports OPENSEARCH3_URL."""

    name = "opensearch3"
    product = "opensearch"
    url_variable = "OPENSEARCH3_URL"
    java_home = staticmethod(recent_java_home)
