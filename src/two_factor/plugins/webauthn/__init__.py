"""webauthn method plugin for two_factor."""
