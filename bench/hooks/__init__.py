"""Per-target variable hooks: logical variables (plain ids, page numbers) -> a server's own.

Every hook module has `variables(kind, logical, cursors)`. `logical` is one of
  w1 {"cycle": int}                      w2 {"objective": int}
  w3 {"key_result": int, "value": str, "confidence": str, "comment": str}
  w4 {"cycle": int, "page": int}
and `cursors[cycle]` is that server's own list of W4 end cursors (page p is fetched after the
end cursor of page p - 1), collected by paging through the list once before the load. Both
servers get the same logical sequence, so they serve the same requests.
"""
