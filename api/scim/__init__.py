"""SCIM 2.0 over HTTP (RFC 7644) under /scim/v2: authentication, routes, the JSON shapes of
users, groups and discovery, and SCIM error bodies. The rules are domain/scim's, the use cases
services/scim_users.py's and services/scim_groups.py's."""
