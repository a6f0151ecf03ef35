"""Background work on RQ: sending SMS, reminders, sweeps. See `queue` for the connection."""
