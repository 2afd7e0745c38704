"""The node's network on the host: one bridge, its routes, sysctls and a few iptables rules.

- ``HOST_IP`` on the bridge is the pods' gateway, the node IP and the cluster DNS address.
- Pods reach the test environment's loopback-only backends at ``HOST_IP:<port>``: a DNAT rule
  sends TCP from the bridge to that address on to 127.0.0.1 (``route_localnet`` allows it,
  the mechanism kube-proxy itself uses for NodePorts on localhost).
- The Service range is routed into the bridge and kwok's fake pod range is a blackhole, so that
  a packet for an address that nothing answers for never leaves the machine.
Every rule carries ``RULE_COMMENT``; teardown removes exactly those, plus the CNI plugins' chains.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
from pathlib import Path

from heroic_testenv.node.layout import BRIDGE, HOST_IP, KWOK_CIDR, POD_CIDR, RULE_COMMENT

MAX_MAP_COUNT = 262144  # Elasticsearch's bootstrap check, for Elasticsearch pods


def _sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: {proc.stderr.strip()}")
    return proc


def _sysctl(path: str, value: int, at_least: bool = False) -> None:
    file = Path("/proc/sys") / path
    if at_least and int(file.read_text().split()[0]) >= value:
        return
    file.write_text(f"{value}\n")


def our_rules() -> list[tuple[str, list[str]]]:
    """(table, rule arguments after -A) of every rule the node adds."""
    comment = ["-m", "comment", "--comment", RULE_COMMENT]
    return [
        (
            "nat",
            [
                "PREROUTING",
                "-i",
                BRIDGE,
                "-d",
                f"{HOST_IP}/32",
                "-p",
                "tcp",
                "!",
                "--dport",
                "53",
                *comment,
                "-j",
                "DNAT",
                "--to-destination",
                "127.0.0.1",
            ],
        ),
        ("filter", ["FORWARD", "-i", BRIDGE, *comment, "-j", "ACCEPT"]),
        ("filter", ["FORWARD", "-o", BRIDGE, *comment, "-j", "ACCEPT"]),
    ]


def setup(service_cidr: str) -> None:
    """Create the bridge, routes, sysctls and rules (idempotent)."""
    if _sh("ip", "link", "show", BRIDGE, check=False).returncode != 0:
        _sh("ip", "link", "add", BRIDGE, "type", "bridge")
    prefix = POD_CIDR.split("/")[1]
    if f"{HOST_IP}/{prefix}" not in _sh("ip", "-4", "addr", "show", BRIDGE).stdout:
        _sh("ip", "addr", "add", f"{HOST_IP}/{prefix}", "dev", BRIDGE)
    _sh("ip", "link", "set", BRIDGE, "up")
    if shutil.which("modprobe") and not Path("/proc/sys/net/bridge").exists():
        _sh("modprobe", "br_netfilter")
    _sysctl("net/ipv4/ip_forward", 1)
    _sysctl("net/bridge/bridge-nf-call-iptables", 1)
    _sysctl(f"net/ipv4/conf/{BRIDGE}/route_localnet", 1)
    _sysctl("vm/max_map_count", MAX_MAP_COUNT, at_least=True)
    _sh("ip", "route", "replace", service_cidr, "dev", BRIDGE)
    _sh("ip", "route", "replace", "blackhole", KWOK_CIDR)
    for table, rule in our_rules():
        if _sh("iptables", "-w", "-t", table, "-C", *rule, check=False).returncode != 0:
            _sh("iptables", "-w", "-t", table, "-I", *rule)


def teardown(service_cidr: str) -> None:
    """Remove what ``setup``, the kubelet, kube-proxy and the CNI plugins made; what is already
    gone is skipped. The KUBE-* and CNI-* chains are theirs by name (one node per machine)."""
    for binary in _installed_iptables():
        for table in ("nat", "filter", "mangle"):
            listing = _sh(f"{binary}-save", "-t", table, check=False).stdout.splitlines()
            for line in listing:
                if RULE_COMMENT in line and line.startswith("-A "):
                    _sh(binary, "-w", "-t", table, "-D", *shlex.split(line[3:]), check=False)
            _remove_chains(binary, table, listing)
    _sh("ip", "route", "del", "blackhole", KWOK_CIDR, check=False)
    _sh("ip", "route", "del", service_cidr, "dev", BRIDGE, check=False)
    for veth in bridge_ports():
        _sh("ip", "link", "del", veth, check=False)
    _sh("ip", "link", "del", BRIDGE, check=False)


def _installed_iptables() -> list[str]:
    """``iptables`` and ``ip6tables`` where installed: on a fresh machine they are not until
    the node's first start installs them, and no rule of ours can exist before that (the
    cleanup before every start must not fail for want of them)."""
    return [b for b in ("iptables", "ip6tables") if shutil.which(f"{b}-save") is not None]


def bridge_ports() -> list[str]:
    """Interfaces still attached to the bridge (the host ends of pods' veth pairs)."""
    out = _sh("ip", "-o", "link", "show", "master", BRIDGE, check=False).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line]


def bridge_exists() -> bool:
    return _sh("ip", "link", "show", BRIDGE, check=False).returncode == 0


def _remove_chains(binary: str, table: str, listing: list[str]) -> None:
    """The Kubernetes and CNI chains of a table: the jumps to them first, then the chains."""
    chains = [line[1:].split()[0] for line in listing if line.startswith((":KUBE-", ":CNI-"))]
    if not chains:
        return
    for line in listing:
        if line.startswith("-A ") and any(f"-j {chain}" in line for chain in chains):
            _sh(binary, "-w", "-t", table, "-D", *shlex.split(line[3:]), check=False)
    for chain in chains:
        with contextlib.suppress(RuntimeError):
            _sh(binary, "-w", "-t", table, "-F", chain)
    for chain in chains:
        _sh(binary, "-w", "-t", table, "-X", chain, check=False)


def leftover_rules() -> list[str]:
    """Rules or chains of the node's still in the kernel (empty after a clean teardown)."""
    found = []
    for binary in _installed_iptables():
        listing = _sh(f"{binary}-save", check=False).stdout.splitlines()
        found += [
            f"{binary}: {line}"
            for line in listing
            if RULE_COMMENT in line or line.startswith((":KUBE-", ":CNI-"))
        ]
    return found
