"""demur.calibrate"""
