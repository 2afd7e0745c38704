"""Names and labels of the operator's children (mirrored by the chart's _helpers.tpl)."""

from __future__ import annotations

import pytest

from heroic_operator import naming


@pytest.mark.parametrize(
    ("cluster", "component", "expected"),
    [
        ("prod", "api", "prod-heroic-api"),
        ("prod", "consumer-kafka", "prod-heroic-consumer-kafka"),
        ("a" * 60, "api", "a" * 60 + "-he"),
        ("a" * 56, "x", "a" * 56 + "-heroic"),
        ("a" * 55, "x", "a" * 55 + "-heroic"),
    ],
)
def test_fullname_is_truncated_to_63_without_trailing_dash(
    cluster: str, component: str, expected: str
) -> None:
    name = naming.fullname(cluster, component)
    assert name == expected
    assert len(name) <= 63
    assert not name.endswith("-")


def test_job_name_keeps_its_hash_when_the_prefix_is_truncated() -> None:
    digest = "0123456789abcdef"
    name = naming.configure_job_name("c" * 30, "pubsub-" + "g" * 15, digest)
    assert len(name) <= 63
    assert name.endswith("-0123456789")


def test_job_names_differ_only_by_hash_for_the_same_target() -> None:
    a = naming.configure_job_name("prod", "bigtable", "aaaaaaaaaaaa")
    b = naming.configure_job_name("prod", "bigtable", "bbbbbbbbbbbb")
    assert a == "prod-heroic-configure-bigtable-aaaaaaaaaa"
    assert a != b


def test_selector_labels_use_only_name_instance_and_component() -> None:
    assert set(naming.selector_labels("prod", "api")) == {
        "app.kubernetes.io/name",
        "app.kubernetes.io/instance",
        "app.kubernetes.io/component",
    }


def test_labels_add_managed_by() -> None:
    assert naming.labels("prod", "api")["app.kubernetes.io/managed-by"] == "heroic-operator"


@pytest.mark.parametrize(
    ("key", "expected"),
    [("sasl.password", "P_SASL_PASSWORD"), ("ssl.key-password", "P_SSL_KEY_PASSWORD")],
)
def test_env_name_from_setting_key(key: str, expected: str) -> None:
    assert naming.env_name("P", key) == expected


def test_secret_volume_name_is_a_short_dns_label() -> None:
    assert naming.secret_volume_name("gcp") == "secret-gcp"
    long = naming.secret_volume_name("s" * 200)
    assert len(long) <= 63
    assert long.startswith("secret-")
