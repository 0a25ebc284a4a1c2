"""Authentication: JWTs (api.auth.tokens); API keys are issued by services/api_keys.py."""
