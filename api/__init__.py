"""okrql's transport layer: the Starlette app, settings, authentication and the CLI."""
