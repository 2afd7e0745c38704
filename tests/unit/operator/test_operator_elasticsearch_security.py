"""Elasticsearch over HTTPS with basic authentication: the rendered heroic.yml names only an
environment variable and a mounted file, and each pod gets exactly the Secret keys its writes
need (the API reads both sections, a consumer only what it writes, the configure Job both)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jmespath
import pytest
import yaml

from heroic_operator.desired.components import components, configure_targets
from heroic_operator.desired.render import SecretUse
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, SecretKeyRef
from tests.unit.operator.test_operator_builders import SECRETS, build

PASSWORD = SecretKeyRef(name="es-credentials", key="password")
CA = SecretKeyRef(name="es-ca", key="ca.crt")
SECURED = {
    "type": "elasticsearch",
    "elasticsearch": {
        "seeds": ["es.example.com:9243"],
        "scheme": "https",
        "authentication": {"username": "heroic", "passwordSecretRef": PASSWORD.model_dump()},
        "caSecretRef": CA.model_dump(),
    },
}
METADATA_ENV = "HEROIC_ELASTICSEARCH_METADATA_PASSWORD"
SUGGEST_ENV = "HEROIC_ELASTICSEARCH_SUGGEST_PASSWORD"


def _secured(cluster: Callable[..., Cluster], **spec: Any) -> Cluster:
    backends = {"metrics": {"type": "memory"}, "metadata": SECURED, "suggest": SECURED}
    return cluster("memory", backends=backends, **spec)


def test_rendered_client_names_an_env_variable_and_a_mounted_ca(
    cluster: Callable[..., Cluster],
) -> None:
    api = next(c for c in components(_secured(cluster)) if c.name == "api")
    rendered = yaml.safe_load(api.rendered.text)
    client = rendered["metadata"]["backends"][0]["connection"]["client"]
    assert client["scheme"] == "https"
    assert client["authentication"] == {
        "type": "plain",
        "username": "heroic",
        "passwordEnv": METADATA_ENV,
    }
    assert client["caCertsFile"] == SecretUse(CA).path
    suggest = rendered["suggest"]["backends"][0]["connection"]["client"]
    assert suggest["authentication"]["passwordEnv"] == SUGGEST_ENV
    assert set(api.rendered.secrets) == {
        SecretUse(PASSWORD, env=METADATA_ENV),
        SecretUse(PASSWORD, env=SUGGEST_ENV),
        SecretUse(CA),
    }


def test_consumers_get_only_the_secrets_of_their_writes(cluster: Callable[..., Cluster]) -> None:
    source = {"kafka": {"bootstrapServers": ["k:9092"], "topics": ["t"]}}
    groups = [
        {"name": "metrics", "writes": ["metrics"], "source": source},
        {"name": "suggest", "writes": ["suggest"], "source": source},
    ]
    by_name = {c.name: c for c in components(_secured(cluster, consumers=groups))}
    assert by_name["consumer-metrics"].rendered.secrets == ()
    assert set(by_name["consumer-suggest"].rendered.secrets) == {
        SecretUse(PASSWORD, env=SUGGEST_ENV),
        SecretUse(CA),
    }


def test_configure_job_gets_both_sections_secrets(cluster: Callable[..., Cluster]) -> None:
    (target,) = [t for t in configure_targets(_secured(cluster)) if t.key == "elasticsearch"]
    assert {u.env for u in target.rendered.secrets} == {METADATA_ENV, SUGGEST_ENV, None}


def test_api_pod_reads_the_password_from_the_secret_and_mounts_the_ca(
    cluster: Callable[..., Cluster],
) -> None:
    secrets = {**SECRETS, PASSWORD: "h4", CA: "h5"}
    deployment = build(_secured(cluster), secrets=secrets)[("Deployment", "mem-heroic-api")]
    pod = deployment["spec"]["template"]["spec"]
    env = {e["name"]: e for e in jmespath.search("containers[0].env", pod)}
    assert env[METADATA_ENV]["valueFrom"] == {
        "secretKeyRef": {"name": "es-credentials", "key": "password"}
    }
    volumes = [v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v]
    assert volumes == ["es-ca"]
    mounts = jmespath.search("containers[0].volumeMounts[].mountPath", pod)
    assert SecretUse(CA).path.rsplit("/", 1)[0] in mounts


API_KEY = SecretKeyRef(name="es-api-key", key="encoded")


def test_an_api_key_and_the_engine_are_rendered_from_a_secret_reference(
    cluster: Callable[..., Cluster],
) -> None:
    backend = {
        "type": "elasticsearch",
        "elasticsearch": {
            "seeds": ["es.example.com:9243"],
            "engine": "elasticsearch",
            "scheme": "https",
            "apiKeySecretRef": API_KEY.model_dump(),
        },
    }
    built = cluster("memory", backends={"metrics": {"type": "memory"}, "metadata": backend})
    api = next(c for c in components(built) if c.name == "api")
    client = yaml.safe_load(api.rendered.text)["metadata"]["backends"][0]["connection"]["client"]
    env = "HEROIC_ELASTICSEARCH_METADATA_API_KEY"
    assert client["engine"] == "elasticsearch"
    assert client["authentication"] == {"type": "apiKey", "apiKeyEnv": env}
    assert SecretUse(API_KEY, env=env) in api.rendered.secrets


def test_an_api_key_with_opensearch_or_beside_a_password_is_refused(
    cluster: Callable[..., Cluster],
) -> None:
    for extra in (
        {"engine": "opensearch"},
        {"authentication": {"passwordSecretRef": PASSWORD.model_dump()}},
    ):
        backend = {
            "type": "elasticsearch",
            "elasticsearch": {"seeds": ["os:9200"], "apiKeySecretRef": API_KEY.model_dump()}
            | extra,
        }
        with pytest.raises(InvalidSpec, match=r"API keys|at most one"):
            cluster("memory", backends={"metrics": {"type": "memory"}, "metadata": backend})
