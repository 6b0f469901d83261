"""Quotes a rep builds or a buyer asks for: versions, discounts, authority, acceptance."""
