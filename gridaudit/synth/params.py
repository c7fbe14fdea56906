"""Numbers that shape the synthetic population, in one place (shares, levels, rates, prices).

They are plausible for a Chinese distribution company's county branch; change them here, not in
the generators. Levels are daily kWh; rates are per customer-month unless named otherwise.
"""

from __future__ import annotations

CATEGORIES = ("residential", "commercial", "large_industrial", "agricultural", "other")
CATEGORY_SHARES = (0.80, 0.12, 0.02, 0.04, 0.02)

# lognormal daily level per customer: (median kWh/day, sigma of log)
DAILY_LEVEL = {
    "residential": (6.0, 0.6),
    "commercial": (60.0, 1.0),
    "large_industrial": (3000.0, 0.8),
    "agricultural": (30.0, 0.8),
    "other": (20.0, 0.8),
}
# residential accounts that really run a shop or workshop (tariff_misclassified)
MISCLASSIFIED_LEVEL = (35.0, 0.6)
DAILY_NOISE_SIGMA = {
    "residential": 0.25,
    "commercial": 0.15,
    "large_industrial": 0.10,
    "agricultural": 0.35,
    "other": 0.20,
}
# Monday .. Sunday
WEEKLY_SHAPE = {
    "residential": (0.97, 0.97, 0.97, 0.97, 1.00, 1.07, 1.07),
    "commercial": (1.08, 1.08, 1.08, 1.08, 1.05, 0.85, 0.78),
    "large_industrial": (1.05, 1.05, 1.05, 1.05, 1.05, 0.90, 0.80),
    "agricultural": (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    "other": (1.05, 1.05, 1.05, 1.05, 1.05, 0.90, 0.85),
}
# factor on consumption during the Spring Festival fortnight
SPRING_FESTIVAL_FACTOR = {
    "residential": 1.15,
    "commercial": 0.60,
    "large_industrial": 0.35,
    "agricultural": 0.80,
    "other": 0.70,
}
SPRING_FESTIVAL = (
    "2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10",
    "2025-01-29", "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03",
)  # fmt: skip

PRICE_YUAN_PER_KWH = {
    "residential": 0.56,
    "commercial": 0.75,
    "large_industrial": 0.65,
    "agricultural": 0.50,
    "other": 0.70,
}
TARIFF_CODE = {
    "residential": "RES-TIER",
    "commercial": "COM-GEN",
    "large_industrial": "IND-TWO-PART",
    "agricultural": "AGR-IRR",
    "other": "OTH-GEN",
}
RESIDENTIAL_TIER_LIMITS_KWH = (180.0, 280.0)  # monthly tier boundaries

# problems: share of eligible customers that carry each (see problems.py for eligibility)
THEFT_KINDS = (
    "theft_scaling",
    "theft_zero_interval",
    "theft_random_daily",
    "theft_flat",
    "theft_mean_random",
    "theft_reversed",
)
THEFT_SHARE = 0.040
WRONG_MULTIPLIER_SHARE_OF_CT = 0.08  # of customers whose multiplier is above 1
TARIFF_MISCLASSIFIED_SHARE_OF_RESIDENTIAL = 0.012
LONG_ZERO_SHARE = 0.008
ADJUSTMENT_ABUSE_SHARE = 0.008

# inspections
MONTHLY_INSPECTION_SHARE = (0.02, 0.03)
RANDOM_SHARE_OF_PICKS = (0.15, 0.20)
TIPS_PER_CUSTOMER_MONTH = 0.0006
DETECTION_PROBABILITY = 0.85
FALSE_FINDING_PROBABILITY = 0.004
FIXED_AFTER_FINDING = 0.9
COOLDOWN_MONTHS = 6
ORDER_INSPECTIONS_PER_CUSTOMER_MONTH = 0.002

# staff
N_STAFF = 40
