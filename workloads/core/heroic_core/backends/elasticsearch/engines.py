"""Which search engine answers, and whether we serve it: product and version from the node's
root document (or, where a distribution leaves that endpoint out, from its nodes info and the
``X-Elastic-Product`` header), checked against the supported range.

Pure functions on decoded responses; no I/O, no logging.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from heroic_core.backends.errors import BackendRejectedError

Product = Literal["elasticsearch", "opensearch"]
#: [lowest, past-the-end) (major, minor) per product: what the test environment runs.
SUPPORTED: dict[Product, tuple[tuple[int, int], tuple[int, int]]] = {
    "elasticsearch": ((7, 10), (10, 0)),
    "opensearch": ((2, 0), (4, 0)),
}
SUPPORTED_TEXT = "Elasticsearch 7.10 to 9.x, OpenSearch 2.x to 3.x"
_NAMES: dict[Product, str] = {"elasticsearch": "Elasticsearch", "opensearch": "OpenSearch"}
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class Engine:
    """A detected engine: product and (major, minor, patch)."""

    product: Product
    version: tuple[int, int, int]

    def __str__(self) -> str:
        return f"{_NAMES[self.product]} {'.'.join(map(str, self.version))}"

    @property
    def has_composable_templates(self) -> bool:
        """``_index_template`` exists: Elasticsearch 7.8+, every OpenSearch."""
        return self.product == "opensearch" or self.version[:2] >= (7, 8)


def _version(text: object) -> tuple[int, int, int]:
    match = _VERSION.match(str(text))
    if match is None:
        raise BackendRejectedError(f"search engine reports an unreadable version {text!r}")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def from_root(root: dict[str, Any]) -> Engine:
    """From ``GET /``: OpenSearch says ``version.distribution: opensearch``."""
    version = root.get("version") or {}
    product: Product = (
        "opensearch" if version.get("distribution") == "opensearch" else ("elasticsearch")
    )
    return Engine(product, _version(version.get("number")))


def from_nodes(nodes: dict[str, Any], product_header: str | None) -> Engine:
    """From ``GET /_nodes/_local`` when the root endpoint is absent (Elasticsearch 9's
    integ-test distribution): every Elasticsearch since 7.14 names itself in a header."""
    found = [n.get("version") for n in (nodes.get("nodes") or {}).values()]
    if not found:
        raise BackendRejectedError("search engine answered no node information")
    if product_header != "Elasticsearch":
        raise BackendRejectedError(
            "search engine has no root endpoint and does not name itself Elasticsearch"
        )
    return Engine("elasticsearch", _version(found[0]))


def check_supported(engine: Engine, expected: str = "auto") -> Engine:
    """``engine`` if we serve it and it is the ``expected`` product (``auto``: either);
    otherwise a permanent error naming it and the supported range."""
    if expected not in ("auto", engine.product):
        raise BackendRejectedError(
            f"the server is {engine}, but the connection names engine {expected!r}"
        )
    low, high = SUPPORTED[engine.product]
    if not low <= engine.version[:2] < high:
        raise BackendRejectedError(f"{engine} is not supported (supported: {SUPPORTED_TEXT})")
    return engine
