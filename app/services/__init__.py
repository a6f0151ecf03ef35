"""The domain: people, activities, sign-ups, callbacks, opt-out, the outbox."""
