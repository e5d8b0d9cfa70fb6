"""Audit: group metrics, paired counterfactuals, explain, calibration checks."""
