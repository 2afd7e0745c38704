"""Every search engine of the test environment, as a pytest parameter: its marker (which
starts it), its REST client settings (the secured Elasticsearch 9 with HTTPS, our CA and basic
auth), and whether it can serve suggest (Elasticsearch 9's distribution has no
analysis-common)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from heroic_core.backends.elasticsearch.client import SearchClient, build_client
from heroic_core.config.elasticsearch import ConnectionConfig

NO_SUGGEST = (
    "Elasticsearch 8 and 9 from Maven Central have no analysis-common module, which the "
    "suggest mappings need (edge_ngram, word_delimiter)"
)


@dataclass(frozen=True)
class SearchEngine:
    """One engine of the test environment."""

    name: str
    url_variable: str
    suggest: bool = True

    def url(self) -> str:
        return os.environ[self.url_variable]

    def client(self) -> dict[str, Any]:
        """The ``client:`` block of a connection to it."""
        client: dict[str, Any] = {"type": "rest", "seeds": [os.environ[self.url_variable]]}
        if self.name == "elasticsearch9":
            client["authentication"] = {
                "type": "plain",
                "username": os.environ["ELASTICSEARCH9_USERNAME"],
                "passwordEnv": "ELASTICSEARCH9_PASSWORD",
            }
            client["caCertsFile"] = os.environ["ELASTICSEARCH9_CA_FILE"]
        return client

    def connection(self, prefix: str) -> dict[str, Any]:
        return {
            "index": {"type": "rotating", "pattern": f"{prefix}-%s", "interval": "7d"},
            "client": self.client(),
        }

    def admin(self) -> SearchClient:
        """A client for setting up and cleaning up around a test."""
        return build_client(ConnectionConfig.model_validate({"client": self.client()}))


ENGINES = (
    SearchEngine("elasticsearch", "ELASTICSEARCH_URL"),
    SearchEngine("opensearch", "OPENSEARCH_URL"),
    SearchEngine("opensearch3", "OPENSEARCH3_URL"),
    SearchEngine("elasticsearch8", "ELASTICSEARCH8_URL", suggest=False),
    SearchEngine("elasticsearch9", "ELASTICSEARCH9_URL", suggest=False),
)


def engine_params(*, suggest: bool = False) -> list[Any]:
    """One parameter per engine, marked with its component; with ``suggest``, those that
    cannot serve it are skipped with the reason."""
    params = []
    for engine in ENGINES:
        marks: list[Any] = [getattr(pytest.mark, engine.name)]
        if suggest and not engine.suggest:
            marks.append(pytest.mark.skip(reason=NO_SUGGEST))
        params.append(pytest.param(engine, marks=marks, id=engine.name))
    return params


async def drop(engine: SearchEngine, prefix: str, templates: list[str]) -> None:
    """Delete the test's indices and templates (composable and legacy)."""
    client = engine.admin()
    try:
        options = {"ignore_unavailable": "true", "allow_no_indices": "true"}
        await client.request("DELETE", f"/{prefix}-*", params=options)
        for name in templates:
            await client.request("DELETE", f"/_index_template/{name}", ignore=(404,))
            await client.request("DELETE", f"/_template/{name}", ignore=(404,))
    finally:
        await client.close()


def template_names(url: str, pattern: str) -> list[str]:
    """Names of the composable and legacy templates matching ``pattern`` on a plain-HTTP node."""
    names: list[str] = []
    composable = httpx.get(f"{url}/_index_template/{pattern}")
    if composable.status_code == 200:
        names += [t["name"] for t in composable.json()["index_templates"]]
    legacy = httpx.get(f"{url}/_template/{pattern}")
    if legacy.status_code == 200:
        names += list(legacy.json())
    return names


def drop_prefix(url: str, prefix: str) -> None:
    """Delete the indices and templates named ``<prefix>*`` on a plain-HTTP node."""
    httpx.delete(f"{url}/{prefix}*", params={"ignore_unavailable": "true"})
    for name in template_names(url, f"{prefix}*"):
        httpx.delete(f"{url}/_index_template/{name}")
        httpx.delete(f"{url}/_template/{name}")
