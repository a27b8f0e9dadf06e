"""Reference tables of the shop's assortment: categories and their shares, subcategories with price ranges and
product nouns, brands, and how gender, age and city size shift what a person prefers.

Pure data (and one weight function). Order matters: the generator draws by index.
"""

from __future__ import annotations

import numpy as np

CATEGORIES = ("Electronics", "Fashion", "Home & Garden", "Beauty", "Sports", "Books", "Toys", "Grocery")
CATEGORY_SHARES = (0.15, 0.22, 0.15, 0.12, 0.10, 0.12, 0.08, 0.06)
# category -> its subcategories: (name, min EUR, max EUR, product nouns)
SUBCATEGORIES = {
    "Electronics": (
        ("Phones", 199, 1199, ("Smartphone", "Phone", "Foldable Phone")),
        ("Computers", 399, 2499, ("Laptop", "Notebook", "Desktop PC", "Tablet", "Monitor")),
        ("Audio", 29, 399, ("Wireless Headphones", "Earbuds", "Bluetooth Speaker", "Soundbar")),
        ("Gaming", 19, 599, ("Gaming Console", "Controller", "Gaming Headset", "Gaming Mouse", "Mechanical Keyboard")),
        ("Smart Home", 25, 299, ("Smart Speaker", "Smart Bulb Set", "Video Doorbell", "Thermostat")),
        ("Accessories", 9, 79, ("USB-C Charger", "Power Bank", "Phone Case", "HDMI Cable")),
    ),
    "Fashion": (
        ("Women", 19, 249, ("Wrap Dress", "Blouse", "Cardigan", "Trench Coat", "Skirt", "Jumpsuit")),
        ("Men", 19, 249, ("Oxford Shirt", "Chinos", "Wool Coat", "Hoodie", "Polo Shirt", "Blazer")),
        ("Shoes", 39, 199, ("Sneakers", "Ankle Boots", "Loafers", "Sandals", "Running Shoes")),
        ("Kids", 9, 59, ("Kids Jacket", "Kids T-Shirt", "Kids Rain Boots", "Kids Pyjamas")),
        ("Accessories", 9, 149, ("Scarf", "Leather Belt", "Tote Bag", "Sunglasses", "Beanie")),
    ),
    "Home & Garden": (
        ("Furniture", 79, 1299, ("Sofa", "Armchair", "Bookshelf", "Dining Table", "Bed Frame")),
        ("Kitchen", 9, 299, ("Chef Knife", "Cast Iron Pan", "Espresso Machine", "Blender", "Dutch Oven")),
        ("Garden", 9, 499, ("Garden Hose", "Raised Bed", "Lawn Mower", "Pruning Shears", "Plant Pot Set")),
        ("Decor", 9, 149, ("Table Lamp", "Throw Blanket", "Wall Mirror", "Scented Candle", "Vase")),
        ("Tools", 15, 399, ("Cordless Drill", "Tool Set", "Laser Level", "Workbench")),
    ),
    "Beauty": (
        ("Skincare", 6, 89, ("Face Serum", "Moisturiser", "Cleansing Gel", "Eye Cream", "Sunscreen SPF 50")),
        ("Makeup", 5, 59, ("Mascara", "Lipstick", "Foundation", "Eyeshadow Palette", "Concealer")),
        ("Fragrance", 29, 149, ("Eau de Parfum", "Eau de Toilette", "Body Mist")),
        ("Hair Care", 5, 49, ("Shampoo", "Conditioner", "Hair Oil", "Beard Oil", "Hair Dryer")),
    ),
    "Sports": (
        ("Fitness", 9, 499, ("Yoga Mat", "Dumbbell Set", "Kettlebell", "Resistance Bands", "Rowing Machine")),
        ("Outdoor", 19, 399, ("Hiking Backpack", "Tent", "Sleeping Bag", "Trekking Poles", "Rain Jacket")),
        ("Cycling", 29, 1999, ("City Bike", "Bike Helmet", "Bike Lights", "E-Bike", "Cycling Gloves")),
        ("Running", 19, 179, ("Running Shoes", "Running Jacket", "GPS Watch", "Running Tights")),
        ("Team Sports", 9, 89, ("Football", "Basketball", "Shin Guards", "Goalkeeper Gloves")),
    ),
    "Books": (
        ("Fiction", 8, 25, ("Novel", "Thriller", "Crime Novel", "Romance Novel", "Fantasy Saga")),
        ("Non-Fiction", 10, 35, ("Biography", "History Book", "Science Book", "Self-Help Guide")),
        ("Children", 6, 20, ("Picture Book", "Bedtime Stories", "Activity Book")),
        ("Cookbooks", 12, 40, ("Cookbook", "Baking Book", "Vegetarian Cookbook")),
        ("Comics", 8, 30, ("Graphic Novel", "Manga Volume", "Comic Collection")),
    ),
    "Toys": (
        ("Building Sets", 9, 199, ("Building Set", "Construction Kit", "Marble Run")),
        ("Dolls", 9, 79, ("Doll", "Doll House", "Plush Bear")),
        ("Board Games", 12, 69, ("Board Game", "Card Game", "Puzzle 1000 pcs", "Strategy Game")),
        ("Outdoor Toys", 15, 149, ("Scooter", "Swing Set", "Water Blaster", "Kite")),
        ("Baby", 7, 89, ("Baby Rattle", "Play Mat", "Stacking Cups", "Baby Monitor")),
    ),
    "Grocery": (
        ("Coffee & Tea", 4, 29, ("Espresso Beans", "Green Tea", "Filter Coffee", "Chai Blend")),
        ("Snacks", 2, 9, ("Dark Chocolate", "Trail Mix", "Crisps", "Protein Bar")),
        ("Wine", 6, 49, ("Riesling", "Rioja", "Chianti", "Prosecco", "Pinot Noir")),
        ("Organic", 2, 19, ("Organic Honey", "Organic Oats", "Olive Oil", "Organic Pasta")),
        ("Pantry", 2, 15, ("Basmati Rice", "Tomato Sauce", "Spice Set", "Peanut Butter")),
    ),
}
BRANDS = {
    "Electronics": ("Voltix", "Nordwind", "Kestrel", "Lumara", "Quanta", "Orbitron", "Sonaro"),
    "Fashion": ("Maison Clair", "Urban Fox", "Lindqvist", "Alma & Co", "Northline", "Bellamy"),
    "Home & Garden": ("Hausgut", "Casa Verde", "Oakridge", "Fjell", "Maison Bleue", "Gartenwerk"),
    "Beauty": ("Lumière", "Aqua Vera", "Botanica", "Velour", "Pure Ritual"),
    "Sports": ("Stridex", "Alpenlust", "Peakform", "Velocity", "Trailhead"),
    "Books": ("Harbor House", "Blue Quill", "Leuchtturm Verlag", "Paperlane"),
    "Toys": ("Brickly", "Tiny Tribe", "Playmora", "Kubo"),
    "Grocery": ("Bio Garten", "Café Rico", "Old Cellar", "Nutri Good"),
}
NAME_ADJECTIVES = ("Classic", "Pro", "Essential", "Premium", "Compact", "Ultra", "Everyday", "Signature", "Eco",
                   "Deluxe", "Lite", "Max", "Original", "Studio", "Air", "Urban", "Nordic", "Vintage")
COLORS = ("Black", "Navy", "Beige", "Olive", "Burgundy", "White", "Grey", "Sand", "Forest Green")

# demographic effects on category log-weights (order as CATEGORIES)
CATEGORY_BASE_LOGIT = np.array([0.0, 0.0, -0.2, -0.4, -0.3, -0.5, -0.7, -0.6])
CATEGORY_GENDER_EFFECT = np.array([
    [-0.6, 0.9, 0.2, 1.4, -0.3, 0.2, 0.2, 0.0],   # female
    [0.9, -0.4, 0.0, -1.2, 0.6, 0.0, 0.0, 0.0],   # male
    [0.3, 0.3, 0.1, 0.2, 0.1, 0.3, 0.0, 0.0],     # other
])
CATEGORY_AGE_EFFECT = np.array([
    [0.5, 0.4, -0.6, 0.1, 0.2, -0.3, -0.5, -0.1],  # < 30
    [0.0, 0.0, 0.2, 0.0, 0.1, -0.1, 0.8, 0.2],     # 30-49
    [-0.4, -0.3, 0.9, -0.1, -0.2, 0.8, -0.2, 0.2],  # 50+
])
CATEGORY_URBAN_EFFECT = np.array([
    [0.0, -0.2, 0.4, -0.1, 0.1, 0.0, 0.1, 0.1],   # rural
    [0.1, 0.2, -0.1, 0.1, 0.0, 0.0, 0.0, 0.0],    # urban
])


def subcategory_weight(category: str, subcategory: str, gender: int, age_band: int) -> float:
    """Demographic weight of a subcategory (gender: 0 female, 1 male, 2 other; age band: 0 < 30, 1 30-49, 2 50+)."""
    f, m, young, mid, old = gender == 0, gender == 1, age_band == 0, age_band == 1, age_band == 2
    w = 1.0
    if category == "Fashion":
        w = {"Women": 5 if f else (0.3 if m else 2), "Men": 5 if m else (0.3 if f else 2), "Shoes": 2,
             "Kids": 2 if mid else 0.5, "Accessories": 2 if f else 1}[subcategory]
    elif category == "Electronics":
        w = {"Gaming": (4 if young else 1.5 if mid else 0.3) * (2 if m else 1), "Phones": 2,
             "Computers": 1.5, "Audio": 3 if young else 2, "Smart Home": 1.5 if mid else 1,
             "Accessories": 1.5}[subcategory]
    elif category == "Beauty":
        w = {"Skincare": 3 if f else 1.5, "Makeup": 3 if f else 0.1, "Fragrance": 2,
             "Hair Care": 2 if f else 1.5}[subcategory]
    elif category == "Home & Garden":
        w = {"Garden": 3 if old else 1, "Furniture": 2 if mid else 1, "Kitchen": 2,
             "Decor": 2 if f else 1, "Tools": 2.5 if m else 0.7}[subcategory]
    elif category == "Sports":
        w = {"Fitness": 1.5 if young else 1, "Outdoor": 1.5 if old else 1, "Cycling": 1,
             "Running": 1.5 if young else 1, "Team Sports": (2 if m else 1) * (1.5 if young else 1)}[subcategory]
    elif category == "Books":
        w = {"Fiction": 2 if f else 1, "Non-Fiction": (1.5 if m else 1) * (1.5 if old else 1),
             "Children": 3 if mid else 0.5, "Cookbooks": (2 if old else 1) * (1.5 if f else 1),
             "Comics": (2 if young else 0.5) * (1.5 if m else 1)}[subcategory]
    elif category == "Toys":
        w = {"Building Sets": 1.5 if m else 1, "Dolls": 1.5 if f else 1, "Board Games": 1.5 if young else 1,
             "Outdoor Toys": 1, "Baby": 2 if mid else 0.5}[subcategory]
    elif category == "Grocery":
        w = {"Coffee & Tea": 1.5, "Snacks": 2 if young else 1, "Wine": 0.5 if young else 2,
             "Organic": 1.5 if f else 1, "Pantry": 1}[subcategory]
    return float(w)
