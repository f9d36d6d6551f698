"""demur.run"""
