"""All SQL lives here: the connection pool, named queries and the read planner's statements."""
