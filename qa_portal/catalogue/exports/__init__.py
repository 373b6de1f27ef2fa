"""Machine-readable exports of listings, one module per standard: ``listing_json`` (the JSON
API's objects), ``ob3`` (Open Badges 3.0 ``Achievement``), ``ctdl`` (CTDL JSON-LD),
``tabular`` (CSV) and ``atom`` (the Atom feed); ``common`` holds the few value formats they
share. Everything is built from the listing's public (allowlisted) data only."""
