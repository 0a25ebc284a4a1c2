"""Members and their invitations: inviting, changing and deactivating people."""
