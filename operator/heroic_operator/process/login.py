"""kopf's credentials: from an explicit kubeconfig file (``--kubeconfig``), else the in-cluster
ServiceAccount, else ``$KUBECONFIG``. Reads files only; no API calls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import kopf
import yaml

LoginFn = Callable[..., kopf.ConnectionInfo | None]


def _relative(base: Path, value: str | None) -> str | None:
    if not value:
        return None
    path = Path(value)
    return str(path if path.is_absolute() else base / path)


def connection_from_kubeconfig(path: str) -> kopf.ConnectionInfo:
    """The current context of one kubeconfig file as kopf ``ConnectionInfo``."""
    file = Path(path).expanduser()
    config: dict[str, Any] = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    current = config.get("current-context")
    if not current:
        raise kopf.LoginError(f"{path}: current-context is not set")
    contexts = {c["name"]: c.get("context") or {} for c in config.get("contexts", [])}
    context = contexts[current]
    cluster = {c["name"]: c.get("cluster") or {} for c in config.get("clusters", [])}[
        context["cluster"]
    ]
    user = {u["name"]: u.get("user") or {} for u in config.get("users", [])}[context["user"]]
    base = file.parent
    return kopf.ConnectionInfo(
        server=cluster["server"],
        ca_path=_relative(base, cluster.get("certificate-authority")),
        ca_data=cluster.get("certificate-authority-data"),
        insecure=cluster.get("insecure-skip-tls-verify"),
        certificate_path=_relative(base, user.get("client-certificate")),
        certificate_data=user.get("client-certificate-data"),
        private_key_path=_relative(base, user.get("client-key")),
        private_key_data=user.get("client-key-data"),
        token=user.get("token"),
        username=user.get("username"),
        password=user.get("password"),
        default_namespace=context.get("namespace"),
    )


def make_login(kubeconfig: str | None) -> LoginFn:
    """The login function for ``@kopf.on.login``."""

    def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        if kubeconfig:
            return connection_from_kubeconfig(kubeconfig)
        return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)

    return login
