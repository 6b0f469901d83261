"""After-sale service: tickets, returns, warranty, satisfaction, product questions."""
