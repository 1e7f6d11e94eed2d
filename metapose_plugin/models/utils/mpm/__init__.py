"""MPM\x27s model helpers: its attention, layer norm, transformer blocks, pose ops, UVD refine."""
