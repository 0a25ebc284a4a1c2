"""Authentication: JWTs (api.auth.tokens) and API keys (api.auth.api_keys)."""
