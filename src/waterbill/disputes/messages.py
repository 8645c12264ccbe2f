"""What the dispute service says to people, in Azerbaijani, English and Russian.

Keys are the stable error codes (refined by the ``reason`` parameter where one code covers several
situations, as ``forbidden.dispute``), the statuses and the reasons.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from waterbill.i18n import DEFAULT_LOCALE

Texts = dict[str, str]

ERRORS: dict[str, Texts] = {
    "malformed_period": {
        "az": "Ayı İİİİ-AA şəklində yazın, məsələn 2026-03.",
        "en": "Write the month as YYYY-MM, for example 2026-03.",
        "ru": "Укажите месяц в виде ГГГГ-ММ, например 2026-03.",
    },
    "period_outside_statement": {
        "az": "Yalnız çıxarışda göstərilən aylara etiraz etmək olar: %(first)s – %(last)s.",
        "en": "Only the months shown on the statement can be disputed: %(first)s to %(last)s.",
        "ru": "Оспорить можно только месяцы, показанные в выписке: с %(first)s по %(last)s.",
    },
    "unknown_service": {
        "az": "Xidməti seçin: su təchizatı və ya tullantı su.",
        "en": "Choose the service: water supply or wastewater.",
        "ru": "Выберите услугу: водоснабжение или водоотведение.",
    },
    "service_not_provided": {
        "az": "Bu abonentə seçilmiş xidmət göstərilmir.",
        "en": "This subscriber does not receive the chosen service.",
        "ru": "Этому абоненту выбранная услуга не оказывается.",
    },
    "unknown_reason": {
        "az": "Siyahıdan müraciətin səbəbini seçin.",
        "en": "Choose the reason for the request from the list.",
        "ru": "Выберите причину обращения из списка.",
    },
    "text_required": {
        "az": "Problemi bir neçə sözlə təsvir edin.",
        "en": "Describe the problem in a few words.",
        "ru": "Опишите проблему в нескольких словах.",
    },
    "text_too_long": {
        "az": "Mətn ən çoxu %(max_length)s simvol ola bilər (indi %(length)s).",
        "en": "The text may have at most %(max_length)s characters (it has %(length)s).",
        "ru": "Текст может содержать не более %(max_length)s символов (сейчас %(length)s).",
    },
    "text_not_printable": {
        "az": "Mətndə görünməyən idarəedici simvollar var. Onları silib yenidən göndərin.",
        "en": "The text contains invisible control characters. Remove them and send it again.",
        "ru": "Текст содержит невидимые управляющие символы. Удалите их и отправьте снова.",
    },
    "photo_too_large": {
        "az": "Şəklin həcmi %(max_mb)s MB-dan çox olmamalıdır.",
        "en": "The photo may be at most %(max_mb)s MB.",
        "ru": "Размер фотографии — не более %(max_mb)s МБ.",
    },
    "photo_too_large.pixels": {
        "az": "Şəklin ölçüsü çox böyükdür: ən çoxu %(max_megapixels)s meqapiksel ola bilər.",
        "en": "The photo has too many pixels: at most %(max_megapixels)s megapixels.",
        "ru": "Слишком большое разрешение фотографии: не более %(max_megapixels)s мегапикселей.",
    },
    "photo_wrong_type": {
        "az": "Yalnız JPEG və ya PNG şəkil yükləmək olar.",
        "en": "Only a JPEG or PNG photo can be uploaded.",
        "ru": "Можно загрузить только фотографию в формате JPEG или PNG.",
    },
    "photo_undecodable": {
        "az": "Şəkil oxunmur: fayl zədələnib və ya natamamdır. Başqa şəkil seçin.",
        "en": "The photo cannot be read: the file is damaged or incomplete. Choose another one.",
        "ru": "Фотографию не удаётся прочитать: файл повреждён или неполон. Выберите другую.",
    },
    "dispute_already_open": {
        "az": "Bu ay və xidmət üzrə artıq açıq müraciət var: %(reference)s.",
        "en": "There is already an open request on this month and service: %(reference)s.",
        "ru": "По этому месяцу и услуге уже есть открытое обращение: %(reference)s.",
    },
    "dispute_not_found": {
        "az": "Belə müraciət tapılmadı. Müraciət nömrəsini yoxlayın.",
        "en": "No such request was found. Check the reference number.",
        "ru": "Такое обращение не найдено. Проверьте номер обращения.",
    },
    "dispute_status_conflict": {
        "az": "Müraciətin vəziyyəti artıq dəyişib və bu addım mümkün deyil. Səhifəni yeniləyin.",
        "en": "The request's status has changed and this step is no longer possible. "
        "Reload the page.",
        "ru": "Статус обращения уже изменился, и этот шаг невозможен. Обновите страницу.",
    },
    "forbidden.dispute": {
        "az": "Bu abonent kodu üzrə müraciəti yalnız abonent və ya onun səlahiyyət verdiyi "
        "şəxs göndərə bilər.",
        "en": "Only the account holder, or a person the holder has authorised, can file a "
        "request on this subscriber code.",
        "ru": "Подать обращение по этому коду абонента может только владелец лицевого счёта "
        "или уполномоченное им лицо.",
    },
    "rate_limited.dispute_daily": {
        "az": "Bir gündə ən çoxu %(limit)s müraciət göndərmək olar. Sabah yenidən cəhd edin.",
        "en": "You can file at most %(limit)s requests a day. Please try again tomorrow.",
        "ru": "В день можно подать не более %(limit)s обращений. Попробуйте завтра.",
    },
}

STATUSES: dict[str, Texts] = {
    "received": {"az": "qəbul edilib", "en": "received", "ru": "принято"},
    "under_review": {"az": "araşdırılır", "en": "under review", "ru": "на рассмотрении"},
    "answered": {"az": "cavablandırılıb", "en": "answered", "ru": "дан ответ"},
    "closed": {"az": "bağlanıb", "en": "closed", "ru": "закрыто"},
}

REASONS: dict[str, Texts] = {
    "meter_reading_wrong": {
        "az": "Sayğacın göstəricisi səhvdir",
        "en": "The meter reading is wrong",
        "ru": "Неверные показания счётчика",
    },
    "norm_applied_with_meter": {
        "az": "Sayğac olduğu halda norma ilə hesablanıb",
        "en": "Billed by the norm although there is a meter",
        "ru": "Начислено по норме, хотя счётчик установлен",
    },
    "payment_not_shown": {
        "az": "Ödəniş göstərilmir",
        "en": "A payment is not shown",
        "ru": "Платёж не отражён",
    },
    "recalculation_unclear": {
        "az": "Yenidən hesablama aydın deyil",
        "en": "The recalculation is not clear",
        "ru": "Непонятен перерасчёт",
    },
    "other": {"az": "Digər", "en": "Other", "ru": "Другое"},
}


def _pick(texts: Texts, locale: str) -> str:
    return texts.get(locale) or texts[DEFAULT_LOCALE]


def error_text(code: str, params: Mapping[str, Any] | None = None, locale: str = "az") -> str:
    """The message for a dispute refusal; empty for a code that is not the dispute service's."""
    params = dict(params or {})
    texts = ERRORS.get(f"{code}.{params.get('reason')}") or ERRORS.get(code)
    if texts is None:
        return ""
    text = _pick(texts, locale)
    return text % params if "%(" in text else text


def status_label(status: str, locale: str = "az") -> str:
    return _pick(STATUSES[status], locale)


def reason_label(reason: str, locale: str = "az") -> str:
    return _pick(REASONS[reason], locale)
