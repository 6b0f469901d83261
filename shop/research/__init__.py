"""The research trail: what a visitor or buyer viewed and compared, for them and for their rep."""
