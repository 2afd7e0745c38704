"""An HTTPS and basic-auth front for a plain-HTTP service: real nginx (from Debian's package,
cached like every other artifact), for tests of clients that talk to secured servers.

The Elasticsearch that Maven Central offers has no security plugin; with this in front of it,
the clients' HTTPS, CA checking and basic authentication meet a real TLS server that answers
401 to a wrong password. The process is recorded like the environment's own, so
``testenv down`` also stops it after a crashed run.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from heroic_testenv import procs
from heroic_testenv.builds import artifact
from heroic_testenv.components.certs import make_server_cert

CONFIG = """\
daemon off;
{user}
worker_processes 1;
pid {home}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {home}/tmp/body;
    proxy_temp_path {home}/tmp/proxy;
    fastcgi_temp_path {home}/tmp/fastcgi;
    uwsgi_temp_path {home}/tmp/uwsgi;
    scgi_temp_path {home}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {home}/server.crt;
        ssl_certificate_key {home}/server.key;
        auth_basic "secured";
        auth_basic_user_file {home}/htpasswd;
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_set_header Authorization "";
            proxy_set_header Connection "";
        }}
    }}
}}
"""


@dataclass(frozen=True)
class TlsProxy:
    """A running front: its URL, the CA that signed its certificate, and its one user."""

    name: str
    url: str
    ca_file: Path
    username: str
    password: str
    run: Path

    @property
    def hostport(self) -> str:
        return self.url.removeprefix("https://")

    def stop(self) -> None:
        procs.stop(self.run, self.name)


def start_tls_proxy(run: Path, name: str, upstream: str, username: str = "elastic") -> TlsProxy:
    """Start nginx on a free loopback port in front of ``upstream`` (``http://host:port``)."""
    home = run / name
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    make_server_cert(home)
    password = secrets.token_urlsafe(12)
    (home / "htpasswd").write_text(f"{username}:{{PLAIN}}{password}\n")
    port = procs.free_port()
    user = "user root root;" if os.geteuid() == 0 else ""
    config = CONFIG.format(user=user, home=home, port=port, upstream=upstream.rstrip("/"))
    (home / "nginx.conf").write_text(config)
    nginx = artifact("nginx") / "root" / "usr" / "sbin" / "nginx"
    argv = [str(nginx), "-p", str(home), "-c", str(home / "nginx.conf"), "-e", "stderr"]
    proc = procs.spawn(run, name, argv)
    procs.wait_until(
        name, lambda: procs.port_open(port), timeout=20, proc=proc, log=procs.log_path(run, name)
    )
    return TlsProxy(name, f"https://127.0.0.1:{port}", home / "ca.crt", username, password, run)
