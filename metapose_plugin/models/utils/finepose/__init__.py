"""FinePOSE's model helpers: cosine schedule + DDIM, noise sources, part-text attention."""
