"""Italian first: the language a person chose (cookie) wins, otherwise Italian, whatever the browser asks.

A city's public service speaks the city's language by default; English is one tap away through the
language switch (Django's set_language view sets the cookie). Browser Accept-Language is ignored on
purpose so that every citizen sees the same page first.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class CityLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
