"""The audit history: who changed what, when (the event log, for admins)."""
