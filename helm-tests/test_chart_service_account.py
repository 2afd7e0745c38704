"""The operator's ServiceAccount: created by default, or an existing one named in values."""

from __future__ import annotations

import jmespath
import pytest
from helm_utils import RELEASE, RenderError, one, render_chart

pytestmark = pytest.mark.helm


def test_service_account_is_created_and_used_by_default() -> None:
    docs = render_chart()
    account = one(docs, "ServiceAccount")
    assert account["metadata"]["name"] == f"{RELEASE}-heroic-operator"
    pod = jmespath.search("spec.template.spec", one(docs, "Deployment"))
    assert pod["serviceAccountName"] == f"{RELEASE}-heroic-operator"


def test_service_account_annotations_are_set() -> None:
    values = {"serviceAccount": {"annotations": {"iam.gke.io/gcp-service-account": "op@p.iam"}}}
    account = one(render_chart(values), "ServiceAccount")
    assert account["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": "op@p.iam"}


def test_existing_service_account_is_used_and_bound_when_create_is_off() -> None:
    docs = render_chart({"serviceAccount": {"create": False, "name": "platform-op"}})
    assert not [d for d in docs if d["kind"] == "ServiceAccount"]
    assert jmespath.search("spec.template.spec.serviceAccountName", one(docs, "Deployment")) == (
        "platform-op"
    )
    bindings = [d for d in docs if d["kind"] in {"RoleBinding", "ClusterRoleBinding"}]
    assert {b["subjects"][0]["name"] for b in bindings} == {"platform-op"}


def test_create_off_without_a_name_fails_with_the_fix() -> None:
    with pytest.raises(RenderError, match=r"serviceAccount.name is required"):
        render_chart({"serviceAccount": {"create": False}})
