"""The refusals this area answers itself, in Azerbaijani, English and Russian.

They are answered before any page code runs (the database may be gone), so the texts live here
rather than in a template that would need the application.
"""

from __future__ import annotations

from collections.abc import Mapping

from waterbill.i18n import DEFAULT_LOCALE, LOCALES

HOTLINE = "955"

TITLES: Mapping[str, Mapping[str, str]] = {
    "database_unavailable": {
        "az": "Xidmət müvəqqəti olaraq əlçatan deyil",
        "en": "The service is temporarily unavailable",
        "ru": "Сервис временно недоступен",
    },
    "maintenance": {
        "az": "Planlı texniki işlər aparılır",
        "en": "Announced maintenance",
        "ru": "Плановые технические работы",
    },
    "rate_limited": {
        "az": "Sorğuların sayı həddi aşıb",
        "en": "Too many requests",
        "ru": "Слишком много запросов",
    },
    "internal_error": {
        "az": "Gözlənilməz xəta",
        "en": "Something went wrong",
        "ru": "Непредвиденная ошибка",
    },
    "request_too_large": {
        "az": "Sorğu çox böyükdür",
        "en": "The request is too large",
        "ru": "Слишком большой запрос",
    },
}

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "database_unavailable": {
        "az": "Məlumat bazası ilə əlaqə müvəqqəti olaraq kəsilib. Bir neçə dəqiqədən sonra "
        "yenidən cəhd edin. Suallarınız üçün qaynar xətt: {hotline}.",
        "en": "The connection to the database is temporarily lost. Please try again in a few "
        "minutes. For questions call the hotline {hotline}.",
        "ru": "Связь с базой данных временно потеряна. Повторите попытку через несколько минут. "
        "По вопросам звоните на горячую линию {hotline}.",
    },
    "maintenance": {
        "az": "Xidmətdə planlı texniki işlər aparılır. Xidmət {until} (Bakı vaxtı) bərpa "
        "olunacaq. Qaynar xətt: {hotline}.",
        "en": "The service is under announced maintenance until {until} (Baku time). "
        "Hotline: {hotline}.",
        "ru": "В сервисе проводятся плановые технические работы до {until} (по бакинскому "
        "времени). Горячая линия: {hotline}.",
    },
    "rate_limited": {
        "az": "Qısa müddətdə çox sayda sorğu göndərilib. Zəhmət olmasa {minutes} dəqiqədən sonra "
        "yenidən cəhd edin.",
        "en": "Too many requests in a short time. Please try again in {minutes} minutes.",
        "ru": "Слишком много запросов за короткое время. Повторите попытку через {minutes} мин.",
    },
    "internal_error": {
        "az": "Bizim tərəfdə xəta baş verdi. Bir az sonra yenidən cəhd edin. "
        "Qaynar xətt: {hotline}.",
        "en": "Something went wrong on our side. Please try again later. Hotline: {hotline}.",
        "ru": "На нашей стороне произошла ошибка. Повторите попытку позже. "
        "Горячая линия: {hotline}.",
    },
    "request_too_large": {
        "az": "Göndərilən məlumat icazə verilən həcmdən böyükdür.",
        "en": "The data sent is larger than allowed.",
        "ru": "Объём отправленных данных превышает допустимый.",
    },
}


def message(code: str, locale: str, **params: object) -> str:
    return MESSAGES[code][locale].format(hotline=HOTLINE, **params)


def title(code: str, locale: str) -> str:
    return TITLES[code][locale]


def choose_locale(*, query: str, cookie: str | None, accept_language: str | None) -> str:
    """``?lang=``, then the language cookie, then the browser's languages, then Azerbaijani."""
    for part in query.split("&"):
        key, _, value = part.partition("=")
        if key == "lang" and value in LOCALES:
            return value
    if cookie in LOCALES:
        return cookie
    for item in (accept_language or "").split(","):
        tag = item.split(";")[0].strip().lower()[:2]
        if tag in LOCALES:
            return tag
    return DEFAULT_LOCALE
