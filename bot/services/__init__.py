"""Domain services: one module per capability. They take `session=` and never commit."""
