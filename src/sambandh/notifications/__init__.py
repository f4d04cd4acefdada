"""In-app notifications (mentions, assignments, reminders, workflow messages) and the
optional daily email digest."""
