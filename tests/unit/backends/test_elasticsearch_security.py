"""Elasticsearch and OpenSearch over HTTPS with basic authentication or an API key (our
extension of the REST client config): the transport's nodes get the scheme and CA bundle, every
request the credentials, nodes found by sniffing the same, and a credential that cannot be read
is a permanent error naming its source."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import certifi
import pytest
from pydantic import ValidationError

from heroic_core.backends.elasticsearch import client as es
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.config.elasticsearch import ConnectionConfig


def _connection(**client: Any) -> ConnectionConfig:
    return ConnectionConfig.model_validate({"client": {"type": "rest", "seeds": ["es"], **client}})


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_https_with_a_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_PASSWORD", "s3cret")
    connection = _connection(
        scheme="https",
        authentication={"type": "plain", "username": "heroic", "passwordEnv": "ES_PASSWORD"},
        caCertsFile=certifi.where(),
    )
    client = es.build_client(connection)
    (node,) = es.node_configs(connection.client)  # type: ignore[arg-type]
    assert (node.scheme, node.host, node.port) == ("https", "es", 9200)
    assert node.ca_certs == certifi.where()
    assert node.verify_certs is True
    assert client.headers["authorization"] == _basic("heroic", "s3cret")


def test_password_from_a_file_and_the_default_username(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    client = es.build_client(
        _connection(authentication={"type": "plain", "passwordFile": str(secret)})
    )
    assert client.headers["authorization"] == _basic("elastic", "from-file")


def test_api_key_from_a_file_is_sent_as_apikey(tmp_path: Path) -> None:
    secret = tmp_path / "key"
    secret.write_text("ZW5jb2RlZA==\n")
    client = es.build_client(
        _connection(authentication={"type": "apiKey", "apiKeyFile": str(secret)})
    )
    assert client.headers["authorization"] == "ApiKey ZW5jb2RlZA=="


def test_without_authentication_no_credentials_are_sent() -> None:
    assert "authorization" not in es.build_client(_connection()).headers


def test_sniffed_nodes_keep_the_seeds_scheme_and_ca() -> None:
    connection = _connection(scheme="https", caCertsFile=certifi.where())
    (seed,) = es.node_configs(connection.client)  # type: ignore[arg-type]
    published = {
        "nodes": {
            "a": {"http": {"publish_address": "es-0.es.ns.svc/10.0.0.5:9200"}},
            "b": {"http": {"publish_address": "10.0.0.6:9201"}},
            "c": {"http": {"publish_address": "[::1]:9202"}},
        }
    }
    assert es._published(published) == [("es-0.es.ns.svc", 9200), ("10.0.0.6", 9201), ("::1", 9202)]
    assert seed.scheme == "https"


@pytest.mark.parametrize(
    ("authentication", "name"),
    [
        ({"type": "plain", "passwordEnv": "NOT_SET_ANYWHERE"}, "NOT_SET_ANYWHERE is not set"),
        ({"type": "apiKey", "apiKeyEnv": "NO_KEY_HERE"}, "NO_KEY_HERE is not set"),
    ],
)
def test_an_unset_credential_variable_is_a_permanent_error_naming_it(
    authentication: dict[str, Any], name: str
) -> None:
    with pytest.raises(BackendRejectedError, match=name):
        es.build_client(_connection(authentication=authentication))


def test_a_ca_bundle_that_is_not_a_file_is_a_permanent_error(tmp_path: Path) -> None:
    connection = _connection(scheme="https", caCertsFile=str(tmp_path / "missing.pem"))
    with pytest.raises(BackendRejectedError, match=r"caCertsFile .*missing\.pem: no such file"):
        es.build_client(connection)


@pytest.mark.parametrize(
    ("client", "where"),
    [
        ({"scheme": "ftp"}, "scheme"),
        ({"engine": "solr"}, "engine"),
        ({"authentication": {"type": "plain"}}, "passwordEnv"),
        ({"authentication": {"type": "plain", "password": "a", "passwordEnv": "B"}}, "exactly"),
        ({"authentication": {"type": "apiKey"}}, "apiKeyEnv"),
    ],
)
def test_bad_security_settings_are_rejected(client: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError, match=where):
        _connection(**client)
