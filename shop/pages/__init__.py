"""Public pages that belong to no domain: home and our story."""
