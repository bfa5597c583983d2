"""The product catalog: categories with their own price levels, brands and products.

It is built once per data set (a loop per category and per product is fine: a few thousand), and
events refer to it by product index, so names and brands are never generated per event.
"""

from __future__ import annotations

import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from shoplytics_desktop.core.generate.spec import ResolvedSpec


@dataclass(frozen=True)
class Category:
    name: str
    median_price: float  # dollars; prices are log-normal around it
    price_sigma: float
    weight: float  # share of catalog and of browsing interest
    nouns: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Electronics",
        89.0,
        0.85,
        1.4,
        (
            "Headphones",
            "Speaker",
            "Charger",
            "Smartwatch",
            "Webcam",
            "Keyboard",
            "Mouse",
            "Power Bank",
            "Earbuds",
            "Monitor",
        ),
    ),
    Category(
        "Fashion",
        39.0,
        0.6,
        1.6,
        (
            "T-Shirt",
            "Sneakers",
            "Jacket",
            "Jeans",
            "Dress",
            "Hoodie",
            "Backpack",
            "Scarf",
            "Cap",
            "Belt",
        ),
    ),
    Category(
        "Home & Kitchen",
        32.0,
        0.75,
        1.3,
        (
            "Blender",
            "Frying Pan",
            "Mug Set",
            "Lamp",
            "Cushion",
            "Knife Set",
            "Kettle",
            "Storage Box",
            "Towel Set",
            "Clock",
        ),
    ),
    Category(
        "Beauty",
        19.0,
        0.55,
        1.0,
        (
            "Face Cream",
            "Shampoo",
            "Lipstick",
            "Perfume",
            "Serum",
            "Hair Dryer",
            "Nail Kit",
            "Sunscreen",
        ),
    ),
    Category(
        "Sports & Outdoors",
        45.0,
        0.75,
        0.9,
        (
            "Yoga Mat",
            "Water Bottle",
            "Tent",
            "Running Shorts",
            "Dumbbells",
            "Bike Light",
            "Sleeping Bag",
            "Hiking Poles",
        ),
    ),
    Category(
        "Books",
        14.0,
        0.4,
        0.8,
        ("Novel", "Cookbook", "Travel Guide", "Biography", "Notebook", "Comic", "Atlas"),
    ),
    Category(
        "Toys & Games",
        24.0,
        0.6,
        0.7,
        ("Puzzle", "Board Game", "Building Set", "Plush Bear", "Card Game", "Kite", "Toy Car"),
    ),
    Category(
        "Grocery",
        7.0,
        0.5,
        0.6,
        (
            "Coffee Beans",
            "Green Tea",
            "Olive Oil",
            "Pasta",
            "Chocolate",
            "Granola",
            "Honey",
            "Spice Mix",
        ),
    ),
    Category(
        "Garden",
        36.0,
        0.8,
        0.5,
        (
            "Planter",
            "Hose",
            "Pruning Shears",
            "Seed Kit",
            "Bird Feeder",
            "Garden Gloves",
            "Solar Light",
        ),
    ),
    Category(
        "Pet Supplies",
        21.0,
        0.6,
        0.6,
        ("Dog Bed", "Cat Toy", "Leash", "Pet Food", "Litter Box", "Chew Bone", "Aquarium Filter"),
    ),
)

#: How strongly popularity concentrates on a category's best sellers (Zipf exponent).
_ZIPF = 0.85
_BRANDS_PER_CATEGORY = 8
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


@dataclass(frozen=True)
class Catalog:
    category_names: list[str]
    category: np.ndarray  # int8 per product
    brand: np.ndarray  # int16 per product (index into brand_names)
    price_cents: np.ndarray  # int64 list price per product
    # Popularity as one cumulative array where category c occupies (c, c + 1]: sampling a
    # product of category c is a binary search for c + u, with no per-category loop per event.
    _cum_by_category: np.ndarray
    _category_weight: np.ndarray
    # Brand and product names come from Faker, which is slow (pure Python); they are made in a
    # background thread while the sessions are planned, and only needed when rows are written.
    _texts: Future[tuple[list[str], list[str]]]

    @property
    def size(self) -> int:
        return len(self.category)

    @property
    def brand_names(self) -> list[str]:
        return self._texts.result()[0]

    @property
    def names(self) -> list[str]:
        return self._texts.result()[1]

    def sample_in(self, rng: np.random.Generator, categories: np.ndarray) -> np.ndarray:
        """One product per entry of ``categories``, by popularity within that category."""
        target = categories.astype(np.float64) + rng.random(len(categories))
        idx = np.searchsorted(self._cum_by_category, target, side="left")
        return np.minimum(idx, self.size - 1).astype(np.int32)

    def sample_categories(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(len(self.category_names), size=n, p=self._category_weight).astype(np.int8)


def catalog_size(events: int) -> int:
    """More products for bigger data sets, within what a mid-size shop carries."""
    return int(np.clip(round(2 * np.sqrt(events)), 120, 3000))


def _texts(
    seed: int, brands: np.ndarray, categories: np.ndarray, nouns: np.ndarray
) -> tuple[list[str], list[str]]:
    """Brand names (``_BRANDS_PER_CATEGORY`` per category, in order) and product names."""
    from faker import Faker  # imported late: it is slow to import and only needed here

    fake = Faker("en_US")
    fake.seed_instance(seed)
    brand_names = [fake.unique.last_name() for _ in range(len(CATEGORIES) * _BRANDS_PER_CATEGORY)]
    names = []
    for b, c, noun in zip(brands.tolist(), categories.tolist(), nouns.tolist(), strict=True):
        colour = _CAMEL.sub(" ", fake.color_name())  # "SlateBlue" -> "Slate Blue"
        names.append(f"{brand_names[b]} {colour} {CATEGORIES[c].nouns[noun]}")
    return brand_names, names


def build_catalog(spec: ResolvedSpec) -> Catalog:
    rng = spec.rng("catalog")
    n_products = catalog_size(spec.events)
    weights = np.array([c.weight for c in CATEGORIES])
    weights = weights / weights.sum()
    per_category = np.maximum(5, np.floor(weights * n_products)).astype(int)

    category_of: list[np.ndarray] = []
    brand_of: list[np.ndarray] = []
    noun_of: list[np.ndarray] = []
    price_of: list[np.ndarray] = []
    cum_by_category: list[np.ndarray] = []
    for ci, (cat, count) in enumerate(zip(CATEGORIES, per_category, strict=True)):
        first_brand = ci * _BRANDS_PER_CATEGORY
        brand_of.append(rng.integers(first_brand, first_brand + _BRANDS_PER_CATEGORY, size=count))
        noun_of.append(rng.integers(0, len(cat.nouns), size=count))
        # Shop prices end in .99: whole dollars drawn log-normally, minus a cent.
        dollars = np.maximum(
            1, np.round(rng.lognormal(np.log(cat.median_price), cat.price_sigma, count))
        )
        price_of.append((dollars * 100 - 1).astype(np.int64))
        category_of.append(np.full(count, ci, dtype=np.int8))
        popularity = 1.0 / (rng.permutation(count) + 1.0) ** _ZIPF
        popularity /= popularity.sum()
        cum = ci + np.cumsum(popularity)
        cum[-1] = ci + 1.0  # exact block bounds: rounding never moves a draw to a neighbour
        cum_by_category.append(cum)
    category = np.concatenate(category_of)
    brand = np.concatenate(brand_of).astype(np.int16)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="shoplytics-catalog")
    texts = pool.submit(_texts, spec.seed, brand, category, np.concatenate(noun_of))
    pool.shutdown(wait=False)
    return Catalog(
        category_names=[c.name for c in CATEGORIES],
        category=category,
        brand=brand,
        price_cents=np.concatenate(price_of),
        _cum_by_category=np.concatenate(cum_by_category),
        _category_weight=weights,
        _texts=texts,
    )
