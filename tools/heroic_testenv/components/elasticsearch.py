"""Elasticsearch nodes: 7.10 (integ-test zip plus analysis-common), 8.x, and 9.x secured.

Elasticsearch 9's integ-test zip carries x-pack security, so that node is the environment's
secured one: HTTPS with a certificate of our own CA and a superuser in the file realm. Its zip
has no analysis-common, so it serves the metadata backend only, and it cannot make API keys
(the ``.security`` index's mapping needs analysis-common's ``pattern_capture``).
"""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from heroic_testenv.components.certs import make_server_cert
from heroic_testenv.components.jvm import java_home, recent_java_home
from heroic_testenv.components.searchnode import SearchNode, tls_context

SUPERUSER = "heroic"


class Elasticsearch(SearchNode):
    """Elasticsearch 7.10; exports ELASTICSEARCH_URL."""

    name = "elasticsearch"
    product = "elasticsearch"
    url_variable = "ELASTICSEARCH_URL"
    java_home = staticmethod(java_home)


class Elasticsearch8(SearchNode):
    """Elasticsearch 8, security off (the 8.x default is on); exports ELASTICSEARCH8_URL."""

    name = "elasticsearch8"
    product = "elasticsearch"
    url_variable = "ELASTICSEARCH8_URL"
    java_home = staticmethod(java_home)

    def settings(self, base: Path, home: Path) -> dict[str, str]:
        del base, home
        return {"xpack.security.enabled": "false"}


class Elasticsearch9(SearchNode):
    """Elasticsearch 9, secured; exports ELASTICSEARCH9_URL (https), ELASTICSEARCH9_CA_FILE,
    ELASTICSEARCH9_USERNAME and ELASTICSEARCH9_PASSWORD."""

    name = "elasticsearch9"
    product = "elasticsearch"
    url_variable = "ELASTICSEARCH9_URL"
    java_home = staticmethod(recent_java_home)

    def scheme(self) -> str:
        return "https"

    def settings(self, base: Path, home: Path) -> dict[str, str]:
        del base, home
        return {
            "xpack.security.enabled": "true",
            # settings given explicitly: no auto-configuration with generated certificates
            "xpack.security.autoconfiguration.enabled": "false",
            "xpack.security.http.ssl.enabled": "true",
            # the node reads files only under its config directory
            "xpack.security.http.ssl.certificate": "certs/server.crt",
            "xpack.security.http.ssl.key": "certs/server.key",
        }

    def prepare(self, home: Path, run: Path) -> dict[str, str]:
        tls = run / self.name / "tls"
        make_server_cert(tls)
        certs = home / "config" / "certs"
        certs.mkdir()
        for name in ("ca.crt", "server.crt", "server.key"):
            shutil.copy(tls / name, certs / name)
        password = secrets.token_urlsafe(12)
        users = str(home / "bin" / "elasticsearch-users")
        subprocess.run(
            [users, "useradd", SUPERUSER, "-p", password, "-r", "superuser"],
            check=True,
            capture_output=True,
            env={"ES_JAVA_HOME": str(self.java_home()), "PATH": "/usr/bin:/bin"},
        )
        return {
            "ELASTICSEARCH9_CA_FILE": str(tls / "ca.crt"),
            "ELASTICSEARCH9_USERNAME": SUPERUSER,
            "ELASTICSEARCH9_PASSWORD": password,
        }

    def request_options(self, env: Mapping[str, str]) -> dict[str, Any]:
        token = f"{env['ELASTICSEARCH9_USERNAME']}:{env['ELASTICSEARCH9_PASSWORD']}"
        return {
            "context": tls_context(env["ELASTICSEARCH9_CA_FILE"]),
            "headers": {"Authorization": f"Basic {base64.b64encode(token.encode()).decode()}"},
        }
