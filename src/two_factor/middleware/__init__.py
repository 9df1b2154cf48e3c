"""Middleware kept for old settings files; see ``threadlocals``."""
