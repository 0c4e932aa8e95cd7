"""The calibration layer: transaction logs, RFM and BTYD summaries, BG/NBD and Gamma-Gamma fits, holdout checks."""
