"""The attributes okrql serves for Users and Groups, as RFC 7643 §7 describes them.

These definitions are what /Schemas publishes, so a client (and the conformance client in the
tests) knows exactly what okrql keeps; the same definitions decide which names a filter or a
PATCH path may use and what type each value must have. Attribute names are matched
case-insensitively (RFC 7643 §2.1) and answered in the spelling below.

Attributes of RFC 7643's User schema that okrql does not keep (title, phoneNumbers, addresses,
the enterprise extension, …) are accepted and dropped, so an identity provider's default
attribute mapping works unchanged; a name in none of the schemas is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"


@dataclass(frozen=True, slots=True)
class Attribute:
    name: str
    type: str = "string"  # string, boolean, complex, reference, dateTime, integer
    description: str = ""
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()

    def sub(self, name: str) -> Attribute | None:
        lowered = name.lower()
        return next((a for a in self.sub_attributes if a.name.lower() == lowered), None)

    def definition(self) -> dict[str, Any]:
        """The attribute as /Schemas publishes it (RFC 7643 §7)."""
        published: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.canonical_values:
            published["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            published["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            published["subAttributes"] = [a.definition() for a in self.sub_attributes]
        return published


@dataclass(frozen=True, slots=True)
class ResourceSchema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    # RFC 7643 names okrql accepts and drops (lower case).
    ignored: frozenset[str] = frozenset()

    def attribute(self, name: str) -> Attribute | None:
        lowered = name.lower()
        return next((a for a in self.attributes if a.name.lower() == lowered), None)


# Common attributes (RFC 7643 §3.1), part of every resource.
ID = Attribute(
    "id",
    description="okrql's id, the same as the GraphQL node id.",
    case_exact=True,
    mutability="readOnly",
    returned="always",
    uniqueness="server",
)
EXTERNAL_ID = Attribute(
    "externalId",
    description="The identity provider's id of the resource; unique in the organisation.",
    case_exact=True,
)
COMMON = (ID, EXTERNAL_ID)

USER = ResourceSchema(
    id=USER_SCHEMA,
    name="User",
    description="A member of the organisation.",
    attributes=(
        Attribute(
            "userName",
            description="The identity provider's login name; unique in the organisation"
            " (case-insensitively). When it is an email address and no emails are given, it"
            " is the member's email.",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "name",
            type="complex",
            description="The member's name.",
            sub_attributes=(
                Attribute("formatted", description="The full name, for display."),
                Attribute("familyName", description="The family name."),
                Attribute("givenName", description="The given name."),
            ),
        ),
        Attribute(
            "displayName",
            description="The name okrql shows (else name.formatted, else given and family"
            " name, else userName).",
        ),
        Attribute(
            "emails",
            type="complex",
            multi_valued=True,
            required=True,
            description="Email addresses; the primary one (else the work one, else the first)"
            " is the member's email in okrql, unique in the organisation.",
            sub_attributes=(
                Attribute("value", description="The address.", required=True),
                Attribute("display", description="A label for the address."),
                Attribute(
                    "type",
                    description="What the address is for.",
                    canonical_values=("work", "home", "other"),
                ),
                Attribute("primary", type="boolean", description="The member's email in okrql."),
            ),
        ),
        Attribute(
            "active",
            type="boolean",
            required=True,
            description="Whether the member may sign in: false deactivates them (their tokens"
            " stop working with their next request), true reactivates them.",
        ),
        Attribute(
            "roles",
            type="complex",
            multi_valued=True,
            description="The member's role in okrql (the primary value, else the first):"
            " ADMIN, MEMBER or VIEWER. Absent or removed, the role stays as it is.",
            sub_attributes=(
                Attribute(
                    "value",
                    description="ADMIN, MEMBER or VIEWER.",
                    canonical_values=("ADMIN", "MEMBER", "VIEWER"),
                ),
                Attribute("display", description="A label for the role."),
                Attribute("type", description="The kind of role."),
                Attribute("primary", type="boolean", description="The role okrql applies."),
            ),
        ),
    ),
    ignored=frozenset(
        {
            "nickname",
            "profileurl",
            "title",
            "usertype",
            "preferredlanguage",
            "locale",
            "timezone",
            "password",
            "phonenumbers",
            "ims",
            "photos",
            "addresses",
            "groups",
            "entitlements",
            "x509certificates",
        }
    ),
)

GROUP = ResourceSchema(
    id=GROUP_SCHEMA,
    name="Group",
    description="A team of the organisation.",
    attributes=(
        Attribute(
            "displayName",
            description="The team's name; unique in the organisation.",
            required=True,
            uniqueness="server",
        ),
        Attribute(
            "members",
            type="complex",
            multi_valued=True,
            description="The team's members (users of the organisation; groups do not nest).",
            sub_attributes=(
                Attribute(
                    "value",
                    description="The member's id.",
                    case_exact=True,
                    mutability="immutable",
                ),
                Attribute(
                    "$ref",
                    type="reference",
                    description="The member's URI.",
                    case_exact=True,
                    mutability="immutable",
                    reference_types=("User",),
                ),
                Attribute(
                    "type",
                    description="Always User.",
                    mutability="immutable",
                    canonical_values=("User",),
                ),
            ),
        ),
    ),
)

RESOURCE_SCHEMAS = {USER.name: USER, GROUP.name: GROUP}


def common_attribute(name: str) -> Attribute | None:
    lowered = name.lower()
    return next((a for a in COMMON if a.name.lower() == lowered), None)


def schema_document(schema: ResourceSchema) -> dict[str, Any]:
    """A resource schema as /Schemas publishes it (without meta: the transport adds it)."""
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": [a.definition() for a in schema.attributes],
    }
