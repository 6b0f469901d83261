"""Products, variants, typed specs, media, categories, search and compare."""
