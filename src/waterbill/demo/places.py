"""Real regions, cities, Baku districts and streets, with the share of accounts each holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Place:
    region: str
    city: str
    district: str
    streets: tuple[str, ...]
    weight: int
    apartment_share: int  # per cent of accounts in blocks of flats rather than private houses


_REGION_STREETS = (
    "Nizami küç.",
    "Heydər Əliyev pr.",
    "Azadlıq küç.",
    "Füzuli küç.",
    "Səməd Vurğun küç.",
    "Natəvan küç.",
    "28 May küç.",
    "Xətai küç.",
    "Cəlil Məmmədquluzadə küç.",
    "Sabir küç.",
)

BAKU_DISTRICTS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("Nəsimi", ("Füzuli küç.", "Səməd Vurğun küç.", "Rəşid Behbudov küç.", "Azadlıq pr."), 9),
    (
        "Yasamal",
        ("Şərifzadə küç.", "Məhəmməd Hadi küç.", "Hüseyn Cavid pr.", "Şamil Əzizbəyov küç."),
        9,
    ),
    (
        "Binəqədi",
        ("Azadlıq pr.", "Binəqədi şossesi", "Cavadxan küç.", "Cəlil Məmmədquluzadə küç."),
        8,
    ),
    ("Nizami", ("Qara Qarayev pr.", "Xəqani Rüstəmov küç.", "Bəhruz Nuriyev küç."), 7),
    (
        "Səbail",
        (
            "Neftçilər pr.",
            "İstiqlaliyyət küç.",
            "Üzeyir Hacıbəyov küç.",
            "Bayıl qəs., Ş. Bədəlbəyli küç.",
        ),
        4,
    ),
    ("Xətai", ("Babək pr.", "Xətai pr.", "Nobel pr.", "Ağa Nemətulla küç."), 9),
    ("Nərimanov", ("Təbriz küç.", "Atatürk pr.", "Əliyar Əliyev küç.", "Ziya Bünyadov pr."), 7),
    (
        "Sabunçu",
        (
            "Bakıxanov qəs., Sabunçu şossesi",
            "Maştağa qəs., Bülbülə küç.",
            "Zabrat qəs., Kəndçi küç.",
        ),
        6,
    ),
    (
        "Suraxanı",
        ("Qaraçuxur qəs., Kəmalə küç.", "Hövsan qəs., Bakı küç.", "Əhmədli qəs., Ə. Rəcəbli küç."),
        5,
    ),
    (
        "Qaradağ",
        (
            "Lökbatan qəs., Neftçilər küç.",
            "Sahil qəs., Mərkəzi küç.",
            "Qobustan qəs., Ş. Əzizov küç.",
        ),
        3,
    ),
    (
        "Xəzər",
        (
            "Mərdəkan qəs., Səttar Bəhlulzadə küç.",
            "Buzovna qəs., Dəniz küç.",
            "Şüvəlan qəs., Bağlar küç.",
        ),
        4,
    ),
    ("Pirallahı", ("Pirallahı qəs., Sahil küç.", "Pirallahı qəs., Neftçilər küç."), 1),
)

# Weights are per mille of accounts: Baku about 45 %, the Absheron ring about 13 %.
PLACES: tuple[Place, ...] = (
    *(
        Place("Bakı", "Bakı", district, streets, weight * 6, 85)
        for district, streets, weight in BAKU_DISTRICTS
    ),
    Place(
        "Sumqayıt",
        "Sumqayıt",
        "",
        ("Sülh küç.", "Heydər Əliyev pr.", "Nizami küç.", "Cəlil Məmmədquluzadə küç."),
        80,
        80,
    ),
    Place(
        "Abşeron",
        "Xırdalan",
        "",
        ("Heydər Əliyev pr.", "28 May küç.", "Nizami küç.", "Yeni Xırdalan, 3-cü məhəllə"),
        40,
        70,
    ),
    Place("Abşeron", "Saray", "", ("Məktəb küç.", "Bağlar küç."), 10, 10),
    Place("Gəncə", "Gəncə", "Kəpəz", ("Atatürk pr.", "Nizami küç.", "Cavad xan küç."), 30, 60),
    Place(
        "Gəncə",
        "Gəncə",
        "Nizami",
        ("Heydər Əliyev pr.", "Şah İsmayıl Xətai pr.", "Səməd Vurğun küç."),
        30,
        60,
    ),
    Place("Lənkəran", "Lənkəran", "", _REGION_STREETS, 30, 35),
    Place("Şəki", "Şəki", "", _REGION_STREETS, 25, 30),
    Place("Quba", "Quba", "", _REGION_STREETS, 25, 30),
    Place("Mingəçevir", "Mingəçevir", "", _REGION_STREETS, 30, 70),
    Place("Şirvan", "Şirvan", "", _REGION_STREETS, 25, 55),
    Place("Şamaxı", "Şamaxı", "", _REGION_STREETS, 20, 25),
    Place("Qəbələ", "Qəbələ", "", _REGION_STREETS, 15, 20),
    Place("Masallı", "Masallı", "", _REGION_STREETS, 20, 20),
    Place("Bərdə", "Bərdə", "", _REGION_STREETS, 20, 20),
    Place("Zaqatala", "Zaqatala", "", _REGION_STREETS, 15, 15),
    Place("Naftalan", "Naftalan", "", _REGION_STREETS, 5, 40),
    Place("Qusar", "Qusar", "", _REGION_STREETS, 15, 20),
)

# Two-digit prefixes of the subscriber code, by region (codes carry no official structure).
REGION_PREFIX: dict[str, str] = {
    "Bakı": "01",
    "Sumqayıt": "02",
    "Abşeron": "03",
    "Gəncə": "04",
    "Lənkəran": "05",
    "Şəki": "06",
    "Quba": "07",
    "Mingəçevir": "08",
    "Şirvan": "09",
    "Şamaxı": "10",
    "Qəbələ": "11",
    "Masallı": "12",
    "Bərdə": "13",
    "Zaqatala": "14",
    "Naftalan": "15",
    "Qusar": "16",
}
