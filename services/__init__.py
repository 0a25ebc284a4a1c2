"""Use cases: one function per write, run inside the caller's transaction."""
