"""Test-run options for every test folder (tests/ and bench/).

`conformance` (the full suites) and `slow` (cases over about a minute on the reference interpreter)
are deselected unless asked for with --conformance / --slow; pytest's summary counts them as
deselected, so nothing is hidden.
"""

def pytest_addoption(parser):
    parser.addoption("--conformance", action="store_true", help="run the full conformance suites")
    parser.addoption("--slow", action="store_true", help="run cases that take over a minute")


def pytest_collection_modifyitems(config, items):
    wanted = {"conformance": config.getoption("--conformance"), "slow": config.getoption("--slow")}
    keep, drop = [], []
    for item in items:
        opt_in = [name for name, enabled in wanted.items() if item.get_closest_marker(name) and not enabled]
        (drop if opt_in else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
