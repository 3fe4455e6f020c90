"""Alert subscriptions, raised events and their delivery outbox, kept in the statement store."""
