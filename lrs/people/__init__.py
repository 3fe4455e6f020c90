"""People who sign in to the dashboards: passwords, TOTP, server-side sessions, bootstrap."""
