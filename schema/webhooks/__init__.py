"""Webhooks: endpoints admins register, and the deliveries of events to them."""
