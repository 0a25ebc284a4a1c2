"""SCIM 2.0 (RFC 7643 / 7644) as pure rules: the attributes okrql serves, filters, attribute
paths, PATCH operations and what a provisioned user or group means for okrql. No I/O: the
database reads and writes are db/scim.py's, the HTTP shapes api/scim/'s."""
