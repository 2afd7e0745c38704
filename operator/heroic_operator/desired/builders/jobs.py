"""Configure Jobs (``heroic configure --only <backend>``).

A Job is named by the hash of its inputs and never updated (a Job's pod template is immutable).
It is self-contained: its heroic.yml travels in a pod annotation that the downward API mounts as
``/etc/heroic/heroic.yml`` (no ConfigMap to create first, to race with, or to clean up; the
config holds no secrets). Exit code 78 fails the Job at once (pod failure policy); other
failures count against ``backoffLimit``. Pure.
"""

from __future__ import annotations

from typing import Any, Protocol

from heroic_operator import naming
from heroic_operator.desired.builders.common import (
    base_mounts,
    metadata,
    pod_template,
    secret_mounts,
    secret_volumes,
    with_env_and_resources,
)
from heroic_operator.desired.components import Target, configure_command
from heroic_operator.spec import Cluster

#: The Job's container, and ``heroic configure``'s exit codes: 75 a retryable failure (backend
#: unreachable), 78 a permanent one, on which the pod failure policy fails the Job at once.
CONTAINER = "configure"
EXIT_RETRYABLE = 75
EXIT_PERMANENT = 78

CONFIG_ANNOTATION = f"{naming.GROUP}/configure-config"


class JobInputs(Protocol):
    """What a Job is built from: a decision to run one (``configure.decide.TargetPlan``). Named
    structurally so that building a Job does not depend on how the decision was made."""

    @property
    def target(self) -> Target: ...

    @property
    def digest(self) -> str: ...

    @property
    def job_name(self) -> str: ...


def job_labels(plan: JobInputs) -> dict[str, str]:
    return {
        naming.LABEL_CONFIGURE_TARGET: plan.target.key,
        naming.LABEL_CONFIGURE_HASH: plan.digest[:10],
    }


def _container(cluster: Cluster, plan: JobInputs) -> dict[str, Any]:
    rendered = plan.target.rendered
    configure = cluster.spec.configure
    container: dict[str, Any] = {
        "name": CONTAINER,
        "command": configure_command(plan.target.backend),
        "terminationMessagePolicy": "FallbackToLogsOnError",
        "volumeMounts": [*base_mounts(), *secret_mounts(rendered.secrets)],
    }
    return with_env_and_resources(
        container, rendered, configure.pod_template.env, configure.resources
    )


def build_configure_job(cluster: Cluster, plan: JobInputs) -> dict[str, Any]:
    """The Job running ``heroic configure --only <backend>`` for one target's inputs."""
    configure = cluster.spec.configure
    field = f"metadata.annotations['{CONFIG_ANNOTATION}']"
    config = {"items": [{"path": "heroic.yml", "fieldRef": {"fieldPath": field}}]}
    volumes = [
        {"name": "config", "downwardAPI": config},
        *secret_volumes(plan.target.rendered.secrets),
    ]
    template = pod_template(
        cluster,
        naming.COMPONENT_CONFIGURE,
        overrides=configure.pod_template,
        container=_container(cluster, plan),
        volumes=volumes,
        service_account=naming.configure_service_account_name(cluster.name),
        annotations={
            naming.ANNOTATION_CONFIG_HASH: plan.digest,
            CONFIG_ANNOTATION: plan.target.rendered.text,
        },
        extra={"restartPolicy": "Never"},
    )
    template["metadata"]["labels"].update(job_labels(plan))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(
            cluster,
            plan.job_name,
            naming.COMPONENT_CONFIGURE,
            labels=job_labels(plan),
            annotations={naming.ANNOTATION_CONFIG_HASH: plan.digest},
        ),
        "spec": {
            "backoffLimit": configure.backoff_limit,
            "activeDeadlineSeconds": configure.active_deadline_seconds,
            "ttlSecondsAfterFinished": configure.ttl_seconds_after_finished,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": CONTAINER,
                            "operator": "In",
                            "values": [EXIT_PERMANENT],
                        },
                    },
                    {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
                ]
            },
            "template": template,
        },
    }
