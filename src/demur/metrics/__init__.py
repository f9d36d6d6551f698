"""demur.metrics"""
