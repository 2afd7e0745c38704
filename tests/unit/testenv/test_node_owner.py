"""One real node per machine: a second checkout neither starts a node nor stops the first one's
(the node's bridge, cgroups and containers are machine-wide)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from heroic_testenv.components.node import Node
from heroic_testenv.node.layout import Layout
from heroic_testenv.procs import ComponentError, pid_dir


def node_owned_by(tmp_path: Path, running: bool) -> tuple[Node, Path]:
    layout = Layout(persistent=tmp_path / "persistent", volatile=tmp_path / "volatile")
    layout.volatile.mkdir(parents=True)
    first = tmp_path / "first-checkout"
    layout.owner.write_text(str(first))
    if running:  # a live process stands for the first checkout's kubelet
        (pid_dir(first) / "kubelet.pid").write_text(str(os.getpid()))
    return Node(layout), tmp_path / "second-checkout"


def test_another_checkouts_running_node_is_neither_stopped_nor_replaced(tmp_path: Path) -> None:
    node, second = node_owned_by(tmp_path, running=True)
    assert node.stop(second) == []  # returns before touching anything machine-wide
    # (as root; elsewhere the node refuses earlier, for want of root)
    expected = "another test environment's node runs" if os.geteuid() == 0 else "needs root"
    with pytest.raises(ComponentError, match=expected):
        node.start(second, {})


def test_a_node_whose_owner_is_gone_is_anyones(tmp_path: Path) -> None:
    node, second = node_owned_by(tmp_path, running=False)
    assert node._other_owner(second) is None
    assert node._other_owner(tmp_path / "first-checkout") is None
