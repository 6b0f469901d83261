"""The staff desk: pages over the other domains, with no rules of its own."""
