"""A small multi-page shop in the spirit of WebShop (`web/shop-v0`).

Pages: home with search, search results with filters (category, max price),
product pages with options (colour, size), cart, checkout. Each seed draws a
catalogue and a WebShop-style instruction ("a blue hoodie in size M that is
waterproof, under $40"); the reward of the purchase matches the bought item
against the instruction's attributes, options, price and category, as
WebShop's does (category is a multiplier, the rest a fraction).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .env import TaskStatus, WebEnv, act_on
from .server import Request, Response, redirect
from .sites import SiteTask, esc, page, select, text_input

CATEGORIES = {
    "t-shirt": ["S", "M", "L", "XL"], "hoodie": ["S", "M", "L", "XL"],
    "jacket": ["S", "M", "L", "XL"], "sneakers": ["7", "8", "9", "10", "11"],
    "backpack": ["one size"], "cap": ["one size"],
}
COLORS = ["black", "white", "red", "blue", "green", "grey", "yellow"]
ATTRIBUTES = ["waterproof", "organic cotton", "lightweight", "vegan", "recycled", "breathable"]
BRANDS = ["Northwind", "Pikeway", "Alder", "Corvo", "Sunda", "Milo", "Ferro", "Tamsin"]
CATALOGUE_SIZE = 40


@dataclass
class Product:
    id: int
    title: str
    category: str
    price: float
    attributes: list[str]
    colors: list[str]
    sizes: list[str]


@dataclass
class Goal:
    product_id: int  # one product that satisfies it (the oracle buys this one)
    category: str
    attributes: list[str]
    color: str
    size: str
    max_price: float

    def text(self) -> str:
        size = "" if self.size == "one size" else f" in size {self.size}"
        attrs = " and ".join(self.attributes)
        return (f"i am looking for a {self.color} {self.category}{size} that is {attrs}, "
                f"and price lower than {self.max_price:.2f} dollars. Buy it.")


@dataclass
class ShopState:
    products: list[Product]
    goal: Goal
    cart: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)


def make_catalogue(rng: random.Random) -> list[Product]:
    products = []
    for i in range(CATALOGUE_SIZE):
        category = rng.choice(list(CATEGORIES))
        attributes = rng.sample(ATTRIBUTES, rng.randint(1, 3))
        brand = rng.choice(BRANDS)
        title = f"{brand} {' '.join(a.title() for a in attributes[:2])} {category.title()}"
        products.append(Product(
            id=i + 1, title=title, category=category, price=round(rng.uniform(9, 120), 2),
            attributes=attributes, colors=rng.sample(COLORS, rng.randint(2, 4)),
            sizes=CATEGORIES[category]))
    return products


def make_state(seed: int) -> ShopState:
    rng = random.Random(f"shop/{seed}")
    products = make_catalogue(rng)
    target = rng.choice(products)
    goal = Goal(target.id, target.category, rng.sample(target.attributes,
                                                     min(2, len(target.attributes))),
                rng.choice(target.colors), rng.choice(target.sizes),
                max_price=float(int(target.price) + rng.choice([5, 10, 20])))
    return ShopState(products, goal)


def purchase_reward(goal: Goal, product: Product, color: str, size: str) -> dict[str, float]:
    """WebShop-style matching: a category multiplier times the fraction of matched items."""
    matched = [a in product.attributes for a in goal.attributes]
    matched += [color == goal.color, size == goal.size, product.price <= goal.max_price]
    fraction = sum(matched) / len(matched)
    category = 1.0 if product.category == goal.category else 0.1
    return {"category": category, "match_fraction": fraction, "reward": category * fraction}


class ShopSite:
    def handle(self, request: Request) -> Response:
        state: ShopState = request.session
        path = request.path.rstrip("/") or "/"
        if path == "/":
            return self.home()
        if path == "/search":
            return self.search(state, request.query)
        if path.startswith("/product/"):
            product = self.product_by_id(state, path.rsplit("/", 1)[1])
            return self.product(product) if product else Response("no such product", 404)
        if path == "/cart/add" and request.method == "POST":
            return self.add_to_cart(state, request)
        if path == "/cart":
            return self.cart(state)
        if path == "/checkout":
            return self.checkout(state)
        if path == "/order" and request.method == "POST":
            return self.place_order(state, request)
        return Response("not found", 404)

    NAV = [("/shop/", "Home"), ("/shop/cart", "Cart")]

    def home(self) -> Response:
        cats = "".join(f'<li><a href="/shop/search?category={esc(c)}">{esc(c)}</a></li>'
                       for c in CATEGORIES)
        return page("Shop", self.NAV, self.search_form("", "", "") + f"<h2>Categories</h2>"
                    f"<ul>{cats}</ul>")

    def search_form(self, q: str, category: str, max_price: str) -> str:
        return ('<form action="/shop/search" method="get">'
                + text_input("q", "Search", q, "search")
                + select("category", "Category", ["any", *CATEGORIES], category or "any")
                + text_input("max_price", "Max price", max_price)
                + '<button type="submit">Search</button></form>')

    def search(self, state: ShopState, query: dict[str, str]) -> Response:
        q, category = query.get("q", ""), query.get("category", "any")
        max_price = query.get("max_price", "")
        try:
            limit = float(max_price) if max_price else None
        except ValueError:
            limit = None
        words = [w for w in q.lower().split() if w]
        scored = []
        for p in state.products:
            if category not in ("", "any") and p.category != category:
                continue
            if limit is not None and p.price > limit:
                continue
            text = f"{p.title} {p.category} {' '.join(p.attributes)}".lower()
            score = sum(w in text for w in words)
            if score or not words:
                scored.append((-score, p.id, p))
        rows = "".join(f'<div class="item"><a href="/shop/product/{p.id}">{esc(p.title)}</a>'
                       f' - ${p.price:.2f}</div>' for _, _, p in sorted(scored)[:10])
        body = self.search_form(q, category, max_price) + (rows or "<p>No results.</p>")
        return page(f"Results ({len(scored)})", self.NAV, body)

    def product_by_id(self, state: ShopState, raw: str) -> Product | None:
        return next((p for p in state.products if str(p.id) == raw), None)

    def product(self, p: Product) -> Response:
        attrs = "".join(f"<li>{esc(a)}</li>" for a in p.attributes)
        body = (f"<p>Price: ${p.price:.2f}</p><p>Category: {esc(p.category)}</p>"
                f"<ul>{attrs}</ul>"
                f'<form action="/shop/cart/add" method="post">'
                f'<input type="hidden" name="product" value="{p.id}">'
                + select("color", "Color", p.colors) + select("size", "Size", p.sizes)
                + '<button type="submit">Add to cart</button></form>')
        return page(p.title, self.NAV, body)

    def add_to_cart(self, state: ShopState, request: Request) -> Response:
        product = self.product_by_id(state, (request.form.get("product") or [""])[0])
        if product is None:
            return Response("no such product", 404)
        color = (request.form.get("color") or [""])[0]
        size = (request.form.get("size") or [""])[0]
        state.cart.append({"product": product.id, "color": color, "size": size})
        return redirect("/shop/cart")

    def cart(self, state: ShopState) -> Response:
        rows = []
        for item in state.cart:
            p = self.product_by_id(state, str(item["product"]))
            rows.append(f'<div class="item">{esc(p.title)} ({esc(item["color"])}, '
                        f'{esc(item["size"])}) - ${p.price:.2f}</div>')
        body = "".join(rows) or "<p>Your cart is empty.</p>"
        if state.cart:
            body += '<p><a href="/shop/checkout">Proceed to checkout</a></p>'
        return page("Cart", self.NAV, body)

    def checkout(self, state: ShopState) -> Response:
        if not state.cart:
            return redirect("/shop/cart")
        body = ('<form action="/shop/order" method="post">'
                + text_input("name", "Full name") + text_input("address", "Address")
                + '<button type="submit">Place order</button></form>')
        return page("Checkout", self.NAV, body)

    def place_order(self, state: ShopState, request: Request) -> Response:
        name = (request.form.get("name") or [""])[0].strip()
        address = (request.form.get("address") or [""])[0].strip()
        if not state.cart or not name or not address:
            return page("Checkout", self.NAV, '<p class="err">Name and address are needed.</p>'
                        '<p><a href="/shop/checkout">Back to checkout</a></p>')
        state.orders.append({"items": list(state.cart), "name": name, "address": address})
        state.cart.clear()
        return page("Order placed", self.NAV, f"<p class='msg'>Thank you, {esc(name)}! "
                    f"Order #{len(state.orders)} is on its way.</p>")


SHOPPER = ("Ada Lovelace", "12 Analytical Row, London")


class ShopTask(SiteTask):
    prefix = "shop"
    viewport = (800, 600)

    def make_site(self) -> ShopSite:
        return ShopSite()

    def task_id(self, seed: int) -> str:
        return f"shop/{seed}"

    def new_session(self, seed: int) -> tuple[ShopState, str]:
        state = make_state(seed)
        goal = state.goal.text()
        return state, f"{goal} Check out as {SHOPPER[0]}, address: {SHOPPER[1]}."

    def check(self, state: ShopState) -> TaskStatus:
        if not state.orders:
            return TaskStatus()
        # The best item of the first order counts (WebShop scores the one bought item).
        scores = []
        for item in state.orders[0]["items"]:
            product = next(p for p in state.products if p.id == item["product"])
            scores.append(purchase_reward(state.goal, product, item["color"], item["size"]))
        best = max(scores, key=lambda s: s["reward"])
        return TaskStatus(done=True, success=best["reward"] >= 1.0, reward=best["reward"],
                          info={"reward_components": best})

    async def oracle(self, pg: Any) -> str:
        state: ShopState = self.session
        goal = state.goal
        path = pg.url.split(f"/{self.prefix}", 1)[1].split("?")[0]
        bought = any(i["product"] == goal.product_id and i["color"] == goal.color
                     and i["size"] == goal.size for i in state.cart)
        if bought:
            if path == "/checkout":
                for name, value in (("name", SHOPPER[0]), ("address", SHOPPER[1])):
                    selector = f'input[name="{name}"]'
                    if await pg.input_value(selector) != value:
                        return await act_on(pg, "fill", selector, value)
                return await act_on(pg, "click", "form button")
            if path == "/cart":
                return await act_on(pg, "click", 'a[href="/shop/checkout"]')
            return await act_on(pg, "click", 'nav a[href="/shop/cart"]')
        if path == f"/product/{goal.product_id}":
            for name, value in (("color", goal.color), ("size", goal.size)):
                selector = f'select[name="{name}"]'
                if await pg.input_value(selector) != value:
                    return await act_on(pg, "select_option", selector, value)
            return await act_on(pg, "click", "form button")
        link = f'a[href="/shop/product/{goal.product_id}"]'
        if path == "/search" and await pg.query_selector(link):
            return await act_on(pg, "click", link)
        if not await pg.query_selector('input[name="q"]'):
            return await act_on(pg, "click", 'nav a[href="/shop/"]')
        words = " ".join([goal.category, *goal.attributes])
        if await pg.input_value('input[name="q"]') != words:
            return await act_on(pg, "fill", 'input[name="q"]', words)
        if await pg.input_value('select[name="category"]') != goal.category:
            # The words alone did not bring the item up: narrow by category too.
            return await act_on(pg, "select_option", 'select[name="category"]', goal.category)
        return await act_on(pg, "click", "form button")


class ShopEnv(WebEnv):
    """`web/shop-v0`: find and buy the described item in the local shop."""

    def __init__(self, obs: str = "axtree", screenshot: bool = True) -> None:
        super().__init__(ShopTask(), obs=obs, screenshot=screenshot)
