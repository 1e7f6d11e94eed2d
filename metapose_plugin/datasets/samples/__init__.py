"""Generators of the honest synthetic samples shipped under ``data/`` (real
layouts, real calibration, synthetic people): Human3.6M sequences in the
VideoPose3D / MMPose layouts and MPI-INF-3DHP test/train files."""
