"""The planned read path: validated GraphQL selection + field mappings -> batched SQL -> JSON.

See docs/adr/0001-planned-read-path.md for why queries do not resolve field by field.
"""
