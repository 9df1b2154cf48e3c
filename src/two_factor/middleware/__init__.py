"""Middleware: ``enforce.RequireTwoFactorMiddleware`` (the 2FA policy), and ``threadlocals``,
kept for old settings files."""
