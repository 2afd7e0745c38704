"""Elasticsearch over HTTPS with basic authentication (our extension of the REST client
config): the client gets the scheme, credentials and CA bundle, sniffed nodes too, and a
credential that cannot be read is a permanent error naming its source."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import certifi
import pytest
from elasticsearch import AIOHttpConnection
from pydantic import ValidationError

from heroic_core.backends.elasticsearch import client as es
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.config.elasticsearch import ConnectionConfig


def _connection(**client: Any) -> ConnectionConfig:
    return ConnectionConfig.model_validate({"client": {"type": "rest", "seeds": ["es"], **client}})


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _node(connection: ConnectionConfig) -> AIOHttpConnection:
    """The connection the client opens to its first seed (the async transport creates its
    connections inside the event loop, from exactly these arguments; sniffed nodes too)."""
    transport = es.build_client(connection).transport
    return AIOHttpConnection(**{**transport.kwargs, **transport.hosts[0]})


def test_https_with_a_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ES_PASSWORD", "s3cret")
    connection = _connection(
        scheme="https",
        authentication={"type": "plain", "username": "heroic", "passwordEnv": "ES_PASSWORD"},
        caCertsFile=certifi.where(),
    )
    transport = es.build_client(connection).transport
    node = _node(connection)
    assert node.host == "https://es:9200"
    assert node.headers["authorization"] == _basic("heroic", "s3cret")
    # nodes found by sniffing are built from these, so they speak TLS with the same credentials
    assert transport.kwargs["use_ssl"] is True
    assert transport.kwargs["http_auth"] == ("heroic", "s3cret")
    assert transport.kwargs["ca_certs"] == certifi.where()


def test_password_from_a_file_and_the_default_username(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    connection = _connection(authentication={"type": "plain", "passwordFile": str(secret)})
    node = _node(connection)
    assert node.headers["authorization"] == _basic("elastic", "from-file")
    assert node.host == "http://es:9200"


def test_without_authentication_no_credentials_are_sent() -> None:
    node = _node(_connection())
    assert "authorization" not in node.headers


def test_an_unset_password_variable_is_a_permanent_error_naming_it() -> None:
    connection = _connection(authentication={"type": "plain", "passwordEnv": "NOT_SET_ANYWHERE"})
    with pytest.raises(BackendRejectedError, match="NOT_SET_ANYWHERE is not set"):
        es.build_client(connection)


def test_a_ca_bundle_that_is_not_a_file_is_a_permanent_error(tmp_path: Path) -> None:
    connection = _connection(scheme="https", caCertsFile=str(tmp_path / "missing.pem"))
    with pytest.raises(BackendRejectedError, match=r"caCertsFile .*missing\.pem: no such file"):
        es.build_client(connection)


@pytest.mark.parametrize(
    ("client", "where"),
    [
        ({"scheme": "ftp"}, "scheme"),
        ({"authentication": {"type": "plain"}}, "passwordEnv"),
        ({"authentication": {"type": "plain", "password": "a", "passwordEnv": "B"}}, "exactly"),
    ],
)
def test_bad_security_settings_are_rejected(client: dict[str, Any], where: str) -> None:
    with pytest.raises(ValidationError, match=where):
        _connection(**client)
