"""demur.backends"""
