"""Users, organisations, roles, sign-in, password reset, self-registration and admin pages."""
