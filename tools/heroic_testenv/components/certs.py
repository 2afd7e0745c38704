"""Certificates and kubeconfigs for the local control plane, made with the openssl binary."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from heroic_testenv.node.layout import HOST_IP

# The apiserver as pods on the real node see it: the kubernetes Service's ClusterIP and names,
# and the host's address on the node's bridge.
SERVER_SANS = (
    f"IP:127.0.0.1,IP:10.0.0.1,IP:{HOST_IP},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
    "DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
)


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _signed(cwd: Path, name: str, subject: str, extensions: str) -> None:
    _openssl(
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        f"{name}.key",
        "-subj",
        subject,
        "-out",
        f"{name}.csr",
        cwd=cwd,
    )
    (cwd / f"{name}.ext").write_text(extensions + "\n")
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "365",
        "-sha256",
        "-extfile",
        f"{name}.ext",
        "-out",
        f"{name}.crt",
        cwd=cwd,
    )


def _ca(directory: Path, subject: str) -> None:
    _openssl(
        "req",
        "-x509",
        "-new",
        "-nodes",
        "-newkey",
        "rsa:2048",
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-subj",
        subject,
        "-days",
        "365",
        cwd=directory,
    )


def make_server_cert(directory: Path, sans: str = "IP:127.0.0.1,DNS:localhost") -> None:
    """A CA of its own (``ca.crt``) and a serving cert for ``sans`` (``server.crt``/``.key``)."""
    if (directory / "server.crt").exists():
        return
    directory.mkdir(parents=True, exist_ok=True)
    _ca(directory, "/CN=heroic-testenv-tls-ca")
    _signed(
        directory,
        "server",
        "/CN=heroic-testenv-tls",
        f"subjectAltName={sans}\nextendedKeyUsage=serverAuth",
    )


def make_pki(pki: Path) -> None:
    """CA, apiserver serving cert, admin client cert (system:masters) and the SA signing key."""
    if (pki / "admin.crt").exists():
        return
    pki.mkdir(parents=True, exist_ok=True)
    _ca(pki, "/CN=heroic-testenv-ca")
    _signed(
        pki,
        "apiserver",
        "/CN=kube-apiserver",
        f"subjectAltName={SERVER_SANS}\nextendedKeyUsage=serverAuth",
    )
    _signed(pki, "admin", "/O=system:masters/CN=testenv-admin", "extendedKeyUsage=clientAuth")
    _openssl("genrsa", "-out", "sa.key", "2048", cwd=pki)
    _openssl("rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=pki)


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def write_kubeconfig(path: Path, pki: Path, server: str) -> None:
    """A kubeconfig for the admin user, certificates embedded."""
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        "clusters:\n- name: heroic-testenv\n  cluster:\n"
        f"    server: {server}\n    certificate-authority-data: {_b64(pki / 'ca.crt')}\n"
        "users:\n- name: testenv-admin\n  user:\n"
        f"    client-certificate-data: {_b64(pki / 'admin.crt')}\n"
        f"    client-key-data: {_b64(pki / 'admin.key')}\n"
        "contexts:\n- name: heroic-testenv\n  context:\n"
        "    cluster: heroic-testenv\n    user: testenv-admin\n"
        "current-context: heroic-testenv\n"
    )
