"""Steering per-category refusal rates at inference, without retraining."""
