"""HTTP routes of the API node, grouped by upstream resource.

Routes only: read the body, call a service, return its JSON. No query or reduction logic here.
"""
