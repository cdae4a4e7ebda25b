pytest_plugins = ["cartera.testing.fixtures"]
