"""Multi-view MetaPose's model helpers: Keras-style dense and context layers,
the deep inverse solver."""
