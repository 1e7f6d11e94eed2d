"""Session-wide test set-up.

MMEngine's default registry scope is process-global, and runners, tools and
inferencers change it. Every test starts in MMPose's scope, where this
plugin's components and MMPose's are registered (as in a user's config).
"""
import pytest

from metapose_plugin import register_all_modules


@pytest.fixture(autouse=True)
def mmpose_default_scope():
    register_all_modules(init_default_scope=True)
    yield
