"""Self-checkout: the steps, the totals, the reservation, and the order it turns a cart into."""
