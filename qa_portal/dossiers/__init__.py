"""Dossiers: authoring, evidence files, completeness check, submitted versions and their diff."""
