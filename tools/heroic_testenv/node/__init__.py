"""A real Kubernetes node on this machine: containerd, runc, CNI, kubelet, kube-proxy, CoreDNS.

Needs root on Linux. The node's network is one bridge with the host at ``HOST_IP``; pods reach
the test environment's loopback backends at that address (``network.py``).
"""
