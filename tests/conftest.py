"""Session-wide test set-up.

MMEngine's default registry scope is process-global, and runners, tools and
inferencers change it. Every test starts in MMPose's scope, where this
plugin's components and MMPose's are registered (as in a user's config).

A test that reads the shared reference fixtures is marked
``@pytest.mark.shared_fixture(path, ...)``: without those files it skips
with the reason (printed by ``-rs``), or fails when
``METAPOSE_REQUIRE_FIXTURES=1`` or ``CI=true`` (``.ci/run`` sets the former),
so that a run missing them cannot pass on skips.
"""
import pytest

from metapose_plugin import register_all_modules
from metapose_plugin.testing.fixtures import require_shared_fixture


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'shared_fixture(*paths): files of the shared reference fixtures the test '
        'reads; missing, the test skips, or fails when METAPOSE_REQUIRE_FIXTURES=1 or CI=true')


def pytest_runtest_setup(item):
    for marker in item.iter_markers('shared_fixture'):
        require_shared_fixture(marker.args)


@pytest.fixture(autouse=True)
def mmpose_default_scope():
    register_all_modules(init_default_scope=True)
    yield
