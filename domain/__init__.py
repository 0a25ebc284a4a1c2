"""The OKR rules as pure functions and pydantic models: no I/O, no GraphQL."""
