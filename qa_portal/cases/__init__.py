"""The processes that span dossiers, reviews and decisions: screening, withdrawal, the dossier
page, the work queue, reminders and each role's home."""
