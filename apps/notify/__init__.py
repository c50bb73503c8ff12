"""Notification channels: where the pipeline sends what it finds."""
