"""Azerbaijani given names and surnames. Surnames agree with gender: Hüseynov / Hüseynova."""

from __future__ import annotations

MALE_NAMES: tuple[str, ...] = (
    "Əli",
    "Vüqar",
    "Elvin",
    "Rəşad",
    "Orxan",
    "Tural",
    "Kamran",
    "Elşən",
    "Anar",
    "Rövşən",
    "Fərid",
    "Nicat",
    "Ramil",
    "Samir",
    "Elnur",
    "Emin",
    "Murad",
    "Cavid",
    "Səbuhi",
    "Zaur",
    "Fuad",
    "Rauf",
    "Natiq",
    "Mübariz",
    "Qorxmaz",
    "Tofiq",
    "Vaqif",
    "İlham",
    "Namiq",
    "Ceyhun",
    "Rüstəm",
    "Yusif",
    "Hüseyn",
    "Məmməd",
    "Həsən",
    "İsmayıl",
    "Ülvi",
    "Şahin",
    "Xəyal",
    "Vüsal",
)

FEMALE_NAMES: tuple[str, ...] = (
    "Aynur",
    "Günel",
    "Leyla",
    "Nigar",
    "Səbinə",
    "Aysel",
    "Lalə",
    "Nərmin",
    "Könül",
    "Gülnar",
    "Sevinc",
    "Ülviyyə",
    "Xədicə",
    "Zəhra",
    "Fidan",
    "Aygün",
    "Şəhla",
    "Təranə",
    "Nüşabə",
    "Röya",
    "Zərifə",
    "Gülşən",
    "Mələk",
    "Aidə",
    "İradə",
    "Şəbnəm",
    "Vüsalə",
    "Kəmalə",
    "Səidə",
    "Ülkər",
)

# Surnames in the male form; the female form adds "a" (Hüseynov → Hüseynova, Əliyev → Əliyeva).
GENDERED_SURNAMES: tuple[str, ...] = (
    "Hüseynov",
    "Məmmədov",
    "Əliyev",
    "Həsənov",
    "Quliyev",
    "İsmayılov",
    "Abbasov",
    "Rzayev",
    "Cəfərov",
    "Mustafayev",
    "Bağırov",
    "Kərimov",
    "Nəsirov",
    "Süleymanov",
    "Babayev",
    "Orucov",
    "İbrahimov",
    "Qasımov",
    "Əhmədov",
    "Səfərov",
    "Vəliyev",
    "Zeynalov",
    "Novruzov",
    "Hacıyev",
    "Musayev",
    "Əsgərov",
    "Məhərrəmov",
    "Allahverdiyev",
    "Rəhimov",
    "Sadıqov",
    "Salmanov",
    "Nağıyev",
    "Şükürov",
    "Tağıyev",
    "Xəlilov",
    "Yusifov",
    "Paşayev",
    "Qurbanov",
    "Mirzəyev",
)

# Surnames that are the same for men and women.
INVARIANT_SURNAMES: tuple[str, ...] = (
    "Əlizadə",
    "Quluzadə",
    "Hüseynli",
    "Məmmədli",
    "Şirinli",
    "Hacızadə",
    "Rəsulzadə",
)


def surname_for(root: str, *, female: bool) -> str:
    if female and root in GENDERED_SURNAMES:
        return root + "a"
    return root


def patronymic_for(father: str, *, female: bool) -> str:
    """``Əli oğlu`` for a son, ``Vüqar qızı`` for a daughter."""
    return f"{father} {'qızı' if female else 'oğlu'}"
