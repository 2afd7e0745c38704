"""The test environment's KRaft cluster id must be a valid command-line value."""

from __future__ import annotations

import base64
import secrets

import pytest

from heroic_testenv.components import kafka


def test_cluster_id_is_16_bytes_of_urlsafe_base64_without_padding() -> None:
    cluster_id = kafka.new_cluster_id()
    assert len(cluster_id) == 22
    assert "=" not in cluster_id
    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16


def test_cluster_id_never_starts_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    # 0xF8 encodes as '-' in URL-safe base64: kafka-storage read such an id as an option.
    draws = iter([b"\xf8" * 16, b"\x00" * 16])
    monkeypatch.setattr(secrets, "token_bytes", lambda n: next(draws))
    assert kafka.new_cluster_id() == "A" * 22
