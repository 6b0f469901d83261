"""Store credit: a buyer's balance and the ledger of every grant, spend and restore."""
