"""demur.store"""
