"""demur.dialogue"""
