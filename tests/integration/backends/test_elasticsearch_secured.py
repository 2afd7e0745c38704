"""Elasticsearch behind HTTPS and basic authentication: real nginx (Debian's package) in front
of the test environment's Elasticsearch, whose Maven Central build has no security plugin.

``heroic configure`` and the metadata backend over HTTPS with a CA file and a password from
the environment; a wrong password and an untrusted certificate fail with a clear line; and the
config the operator renders for a secured cluster (CA from a Secret, password from a Secret)
works once the pod's files and variables are in place."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.config import HeroicConfig
from heroic_core.filters import MatchKey
from heroic_core.model import DateRange, Series
from heroic_operator.desired.components import configure_targets
from heroic_operator.spec import parse_cluster
from heroic_testenv.paths import run_dir
from heroic_testenv.tlsproxy import TlsProxy, start_tls_proxy
from tests.integration.backends.search_engines import drop_prefix
from tests.integration.backends.test_configure import heroic_configure

pytestmark = pytest.mark.elasticsearch
PASSWORD_ENV = "HEROIC_TEST_ES_PASSWORD"


@pytest.fixture(scope="module")
def secured() -> Iterator[TlsProxy]:
    proxy = start_tls_proxy(
        run_dir(), f"es-tls-{uuid.uuid4().hex[:6]}", os.environ["ELASTICSEARCH_URL"]
    )
    yield proxy
    proxy.stop()


def secured_config(proxy: TlsProxy, prefix: str, **client: Any) -> dict[str, Any]:
    settings = {
        "type": "rest",
        "seeds": [proxy.hostport],
        "scheme": "https",
        "caCertsFile": str(proxy.ca_file),
        "authentication": {
            "type": "plain",
            "username": proxy.username,
            "passwordEnv": PASSWORD_ENV,
        },
        **client,
    }
    connection = {"index": {"type": "rotating", "pattern": f"{prefix}-%s"}, "client": settings}
    backend = {"type": "elasticsearch", "templateName": f"{prefix}-m", "connection": connection}
    return {"metadata": {"backends": [backend]}}


def test_configure_and_metadata_over_https_with_basic_auth(
    secured: TlsProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, secured.password)
    prefix = f"tls-{uuid.uuid4().hex[:8]}"
    config = secured_config(secured, prefix)
    code, output = heroic_configure(config, tmp_path, "--only", "elasticsearch")
    assert code == 0, output
    assert f"created elasticsearch template {prefix}-m-metadata" in output

    backend_config = HeroicConfig.from_dict(config).metadata.backends[0]
    series = Series("tls-probe", {"host": "a"})

    async def round_trip() -> tuple[Series, ...]:
        backend = ElasticsearchMetadataBackend(backend_config)
        try:
            await backend.write(series, DateRange(0, 0))
            await backend.refresh()
            found = await backend.find_series(MatchKey("tls-probe"), DateRange(0, 0))
            return found.series
        finally:
            await backend.close()

    try:
        assert asyncio.run(round_trip()) == (series,)
    finally:
        drop_prefix(os.environ["ELASTICSEARCH_URL"], prefix)


def test_a_wrong_password_is_a_permanent_failure(
    secured: TlsProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    code, output = heroic_configure(secured_config(secured, "tls-bad"), tmp_path)
    assert code == 78, output
    assert output.startswith("heroic configure: permanent failure: elasticsearch")
    assert "401" in output


def test_an_untrusted_certificate_is_a_permanent_failure(
    secured: TlsProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, secured.password)
    config = secured_config(secured, "tls-untrusted")
    del config["metadata"]["backends"][0]["connection"]["client"]["caCertsFile"]
    code, output = heroic_configure(config, tmp_path, "--timeout", "10")
    assert code == 78, output
    assert "certificate" in output.lower()


def test_the_operators_rendered_config_for_a_secured_cluster(
    secured: TlsProxy, tmp_path: Path
) -> None:
    name = f"tls-op-{uuid.uuid4().hex[:8]}"
    search = {
        "seeds": [secured.hostport],
        "sniff": False,
        # its own indices: a composable template of the default pattern would collide with
        # every other cluster's (same priority, overlapping patterns)
        "index": {"type": "rotating", "pattern": f"{name}-%s"},
        "scheme": "https",
        "caSecretRef": {"name": "es-ca", "key": "ca.crt"},
        "authentication": {
            "username": secured.username,
            "passwordSecretRef": {"name": "es-credentials", "key": "password"},
        },
        "templateName": name,
    }
    body = {
        "metadata": {"name": "secured", "namespace": "ns", "uid": "u", "generation": 1},
        "spec": {
            "image": "heroic:test",
            "backends": {
                "metadata": {"type": "elasticsearch", "elasticsearch": search},
                "suggest": {"type": "elasticsearch", "elasticsearch": search},
            },
        },
    }
    (target,) = [t for t in configure_targets(parse_cluster(body)) if t.key == "elasticsearch"]
    text = target.rendered.text
    env: dict[str, str] = {}
    for use in target.rendered.secrets:  # what the pod gets from its Secrets
        if use.ref.name == "es-ca":
            assert use.path in text
            text = text.replace(use.path, str(secured.ca_file))
        else:
            assert use.env is not None
            assert use.env in text
            env[use.env] = secured.password
    rendered = yaml.safe_load(text)
    code, output = heroic_configure(rendered, tmp_path, env=env)
    drop_prefix(os.environ["ELASTICSEARCH_URL"], name)
    assert code == 0, output
    assert f"created elasticsearch template {search['templateName']}" in output
