"""demur.train"""
