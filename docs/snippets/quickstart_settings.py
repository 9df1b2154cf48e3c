INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_static",  # backup tokens
    "django_otp.plugins.otp_totp",  # authenticator apps
    "two_factor",
]
MIDDLEWARE.insert(  # right after AuthenticationMiddleware, which sets request.user
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
LOGIN_URL = "two_factor:login"
LOGIN_REDIRECT_URL = "two_factor:profile"
