"""Developer scripts run through the Makefile (evaluation, setup)."""
