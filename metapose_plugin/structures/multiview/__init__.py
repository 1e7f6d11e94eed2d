"""Multi-view MetaPose's pure geometry: weak cameras, mixtures, packing, DLT."""
