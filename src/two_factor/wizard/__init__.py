"""Session wizards whose steps can be validated once (a token works once)."""
