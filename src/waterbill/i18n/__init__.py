"""Languages: Azerbaijani first, then English and Russian."""

LOCALES = ("az", "en", "ru")
DEFAULT_LOCALE = "az"
