"""Webhooks: signing (signature.py) and the delivery worker (worker.py)."""
