"""Delivery appointments: white-glove windows booked on the crew's calendar."""
