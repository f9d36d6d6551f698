"""demur.suites"""
