"""email method plugin for two_factor."""
