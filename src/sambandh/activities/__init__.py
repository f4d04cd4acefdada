"""Activities: tasks, calls, meetings, logged emails, reminders, "my day" and the timeline."""
