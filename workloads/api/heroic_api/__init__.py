"""The Heroic API node: a FastAPI application serving upstream Heroic's HTTP API.

Build the application with ``heroic_api.main.create_app``; run it with ``heroic api``.
"""
