"""okrql's transport layer: the Starlette app, settings, request context and the CLI."""
