"""Message status callbacks."""
