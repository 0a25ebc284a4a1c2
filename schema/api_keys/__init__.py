"""API keys of the organisation (admins manage them)."""
