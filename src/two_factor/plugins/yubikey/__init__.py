"""yubikey method plugin for two_factor."""
