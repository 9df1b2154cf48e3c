"""phonenumber method plugin for two_factor."""
