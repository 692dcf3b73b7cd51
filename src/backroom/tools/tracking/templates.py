"""The name templates every new store starts with (admins add and delete their own)."""

from __future__ import annotations

from backroom.tools.tracking.models import Category

DEFAULT_TEMPLATES: dict[Category, tuple[str, ...]] = {
    Category.SYRUPS: (
        "Vanilla Syrup",
        "Caramel Syrup",
        "Hazelnut Syrup",
        "Classic Syrup",
        "Peppermint Syrup",
        "Toffee Nut Syrup",
        "Brown Sugar Syrup",
        "Sugar-Free Vanilla Syrup",
    ),
    Category.SAUCES: (
        "Mocha Sauce",
        "White Chocolate Mocha Sauce",
        "Caramel Sauce",
        "Pumpkin Spice Sauce",
        "Dark Caramel Sauce",
    ),
    Category.COFFEE_BEANS: (
        "Pike Place Roast",
        "Espresso Roast",
        "Blonde Espresso Roast",
        "Decaf Espresso Roast",
        "Cold Brew Blend",
        "French Roast",
        "Veranda Blend",
    ),
    Category.POWDERS: (
        "Matcha Powder",
        "Vanilla Bean Powder",
        "Chocolate Malt Powder",
        "Cinnamon Dolce Topping",
        "Protein Powder",
    ),
    Category.CUPS: (
        "Short Hot Cups",
        "Tall Hot Cups",
        "Grande Hot Cups",
        "Venti Hot Cups",
        "Tall Cold Cups",
        "Grande Cold Cups",
        "Venti Cold Cups",
        "Trenta Cold Cups",
    ),
    Category.LIDS: (
        "Hot Cup Lids",
        "Cold Cup Lids",
        "Dome Lids",
        "Strawless Lids",
        "Sip Lids",
    ),
    Category.CONDIMENTS: (
        "Sugar Packets",
        "Raw Sugar Packets",
        "Stevia Packets",
        "Honey Packets",
        "Stir Sticks",
        "Napkins",
        "Straws",
    ),
    Category.CLEANING_SUPPLIES: (
        "Sanitizer Tablets",
        "Dish Soap",
        "Glass Cleaner",
        "Floor Cleaner",
        "Espresso Machine Cleaner",
        "Paper Towels",
    ),
    Category.OTHER: (
        "Whipped Cream Chargers",
        "Cup Sleeves",
        "Drink Carriers",
        "Pastry Bags",
    ),
}
