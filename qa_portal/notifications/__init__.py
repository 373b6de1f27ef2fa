"""In-app inbox, e-mail notifications for every event someone must act on, and reminders."""
