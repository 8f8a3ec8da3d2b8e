"""The scheduler: APScheduler jobs that only trigger service work, and the sender loop (runner)."""
