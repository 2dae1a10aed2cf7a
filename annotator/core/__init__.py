"""Qt-free services. Each takes a Session and the acting user, checks the role, and writes one
audit event per state change in the same transaction."""
