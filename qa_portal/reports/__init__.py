"""Review reports: rendered, immutable, revisioned PDFs of decided rounds, and their public
verification. A package of its own: a report has its own lifecycle (queued, rendered,
superseded by a new revision) and is read by the public catalogue."""
