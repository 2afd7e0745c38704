"""The operator's only door to the Kubernetes API (the official client underneath)."""

from heroic_operator.kube.client import Kube, connect
from heroic_operator.kube.errors import ApiRequestError
from heroic_operator.kube.informer import Informer, WatchSink
from heroic_operator.kube.resources import resource
from heroic_operator.kube.store import Store

__all__ = ["ApiRequestError", "Informer", "Kube", "Store", "WatchSink", "connect", "resource"]
