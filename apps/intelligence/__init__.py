"""The AI provider the pipeline consults (at most one active at a time)."""
