"""Payments: the one package that talks to Stripe. It knows nothing about orders.

It records what Stripe (or a bank) says about a payment and announces changes with the
`payment_changed` signal; `shop.orders` listens. Money arrows point one way.
"""
