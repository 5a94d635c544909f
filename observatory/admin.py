"""The shell's admin site settings (each app registers its own models in its admin.py)."""

from django.contrib import admin

from .auth import AdminLoginForm

# The admin's login refuses what no account can have, as the staff login page does (observatory.auth).
admin.site.login_form = AdminLoginForm
