"""The public catalogue: published listings, full-text search, detail pages and exports."""
