"""What the checkout does when an order it made is placed (the cart lets go of those items) or
cancelled (the store credit it used goes back to the buyer)."""

from shop.checkout.services import clear_ordered_lines, give_back_credit
from shop.orders.signals import order_cancelled, order_placed


def on_order_placed(order) -> None:
    clear_ordered_lines(order)


def on_order_cancelled(order) -> None:
    give_back_credit(order)


def connect() -> None:
    order_placed.connect(on_order_placed)
    order_cancelled.connect(on_order_cancelled)
