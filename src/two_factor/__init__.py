"""two_factor: sign-in and setup wizards for two-factor authentication, on django_otp."""
