"""IT value analytics kit."""
