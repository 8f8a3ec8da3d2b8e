"""APScheduler jobs that only trigger service work: reminders and digests (scheduler issue)."""
