"""demur.judges"""
