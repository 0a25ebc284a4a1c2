"""Trees inside an organisation: cycles nested in cycles, teams in teams.

A node may move under another parent only if that parent is not the node itself nor one of
its descendants; otherwise the tree would become a loop and "the year of this quarter" would
have no answer.
"""

from __future__ import annotations

from collections.abc import Collection


def becomes_own_ancestor(node_id: int, new_parent_chain: Collection[int]) -> bool:
    """Return whether putting ``node_id`` under a new parent makes it its own ancestor.

    ``new_parent_chain`` holds the new parent and every node above it, as stored now.
    """
    return node_id in new_parent_chain
