"""The GraphQL schema: strawberry types and, beside each, how its fields map to data."""
