"""Pipeline definitions: what runs, in which order, and where it reports."""
