"""Orders, their lines and events; the order lifecycle; what happens when a payment moves."""
