"""What the checkout does when an order it made is placed: the cart lets go of those items."""

from shop.checkout.services import clear_ordered_lines
from shop.orders.signals import order_placed


def on_order_placed(order) -> None:
    clear_ordered_lines(order)


def connect() -> None:
    order_placed.connect(on_order_placed)
