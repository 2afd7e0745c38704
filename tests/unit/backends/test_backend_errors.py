"""Library exceptions become retryable (``BackendUnavailableError``) or permanent
(``BackendRejectedError``) errors, and seeds parse, for every durable backend."""

from __future__ import annotations

import pytest
from cassandra import AuthenticationFailed, InvalidRequest, OperationTimedOut, Unauthorized
from cassandra.cluster import NoHostAvailable
from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout
from google.api_core import exceptions as gexc

from heroic_core.backends.cassandra import connection as cassandra
from heroic_core.backends.elasticsearch import client as es
from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.backends.google_clients import google_error
from heroic_core.config.elasticsearch import ConnectionConfig
from heroic_core.config.metrics import DatastaxMetricConfig

CASSANDRA = DatastaxMetricConfig.model_validate({"type": "datastax", "seeds": ["db:9042"]})
ES = ConnectionConfig()


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (gexc.ServiceUnavailable("connection refused"), BackendUnavailableError),
        (gexc.DeadlineExceeded("slow"), BackendUnavailableError),
        (
            gexc.RetryError("gave up", cause=gexc.ServiceUnavailable("down")),
            BackendUnavailableError,
        ),
        (gexc.PermissionDenied("no"), BackendRejectedError),
        (gexc.Unauthenticated("who"), BackendRejectedError),
        (gexc.NotFound("instance"), BackendRejectedError),
        (gexc.RetryError("gave up", cause=gexc.PermissionDenied("no")), BackendRejectedError),
        (ExceptionGroup("bulk", [gexc.PermissionDenied("no")]), BackendRejectedError),
    ],
)
def test_google_errors(exc: Exception, expected: type[Exception]) -> None:
    converted = google_error(exc, "bigtable p/i/t: write failed")
    assert type(converted) is expected
    assert converted.message.startswith("bigtable p/i/t: write failed: ")


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            NoHostAvailable("down", {"db": ConnectionRefusedError(111, "refused")}),
            BackendUnavailableError,
        ),
        (
            NoHostAvailable("auth", {"db": AuthenticationFailed("bad password")}),
            BackendRejectedError,
        ),
        (OperationTimedOut("slow"), BackendUnavailableError),
        (Unauthorized("no CREATE permission"), BackendRejectedError),
        (InvalidRequest("unknown keyspace"), BackendRejectedError),
    ],
)
def test_cassandra_errors(exc: Exception, expected: type[Exception]) -> None:
    converted = cassandra.convert(exc, CASSANDRA, "configure")
    assert type(converted) is expected
    assert "cassandra db:9042 keyspace heroic: configure failed" in converted.message


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TransportConnectionError("refused"), BackendUnavailableError),
        (ConnectionTimeout("slow"), BackendUnavailableError),
        (es.ApiError(503, {"error": {"type": "unavailable"}}), BackendUnavailableError),
        (es.ApiError(429, "too many requests"), BackendUnavailableError),
        (es.ApiError(403, {"error": {"type": "security_exception"}}), BackendRejectedError),
        (es.ApiError(401, {"error": {"type": "security_exception"}}), BackendRejectedError),
        (es.ApiError(400, {"error": {"type": "mapper_parsing_exception"}}), BackendRejectedError),
    ],
)
def test_elasticsearch_errors(exc: Exception, expected: type[Exception]) -> None:
    converted = es.convert(exc, ES, "configure")
    assert type(converted) is expected
    assert converted.message.startswith("elasticsearch localhost: configure failed: ")


@pytest.mark.parametrize(
    ("seeds", "expected"),
    [
        (["a"], [("a", 9042)]),
        (["a:1234", "b"], [("a", 1234), ("b", 9042)]),
        (["[::1]:9000", "[::1]"], [("::1", 9000), ("::1", 9042)]),
    ],
)
def test_cassandra_seeds(seeds: list[str], expected: list[tuple[str, int]]) -> None:
    config = DatastaxMetricConfig.model_validate({"type": "datastax", "seeds": seeds})
    assert cassandra.contact_points(config) == expected


def test_cassandra_seed_with_bad_port_is_rejected() -> None:
    config = DatastaxMetricConfig.model_validate({"type": "datastax", "seeds": ["a:b"]})
    with pytest.raises(BackendRejectedError, match="port must be a number"):
        cassandra.contact_points(config)


@pytest.mark.parametrize(
    ("seeds", "expected"),
    [
        (["es"], ["http://es:9200"]),
        (["es:9201"], ["http://es:9201"]),
        (["https://es.example:443/"], ["https://es.example:443"]),
    ],
)
def test_elasticsearch_seed_urls(seeds: list[str], expected: list[str]) -> None:
    assert es.seed_urls(seeds) == expected


def test_elasticsearch_transport_client_is_rejected() -> None:
    connection = ConnectionConfig.model_validate({"client": {"type": "transport"}})
    with pytest.raises(BackendRejectedError, match="transport"):
        es.build_client(connection)


def test_elasticsearch_sniffing_follows_config() -> None:
    connection = ConnectionConfig.model_validate(
        {"client": {"type": "rest", "seeds": ["es"], "sniff": True, "sniffInterval": "10s"}}
    )
    transport = es.build_client(connection).transport
    assert transport._sniff_on_start is True
    assert transport._sniff_on_node_failure is True
    assert transport._sniff_before_requests is True  # every sniffInterval
    assert transport._min_delay_between_sniffing == 10.0
    assert transport._sniff_callback is es.sniff_nodes
    assert es.build_client(ConnectionConfig()).transport._sniff_on_start is False
