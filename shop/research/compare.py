"""The compare list: up to COMPARE_MAX product ids, kept in the visitor's or buyer's session."""

from shop.errors import DomainError


def add(ids: list[int], product_id: int, limit: int) -> list[int]:
    if product_id in ids:
        return ids
    if len(ids) >= limit:
        raise DomainError(f"You can compare up to {limit} products. Remove one first.")
    return [*ids, product_id]


def remove(ids: list[int], product_id: int) -> list[int]:
    return [i for i in ids if i != product_id]
