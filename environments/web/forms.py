"""A form-heavy site: sign-in, account settings and a booking form.

Two task ids share it: `web/forms.settings-v0` (sign in, change four
settings, save) and `web/forms.booking-v0` (sign in, book a room with a date,
time, guests, room type and a request). The episode ends at the first save
or booking; the checker compares the saved state with the instruction (the
reward is the fraction of fields right, success when all are).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .env import TaskStatus, WebEnv, act_on
from .server import Request, Response, redirect
from .sites import SiteTask, page, select, text_input
from .sites import field as form_field

USERS = ["amara", "bjorn", "chen", "dalia", "emeka", "farah", "goran", "hana"]
NAMES = ["Amara O.", "Captain B", "C. Wei", "Dee", "E.M.", "Farah K", "Goran", "Hana S."]
TIMEZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "Africa/Lagos",
             "Australia/Sydney"]
NOTIFICATIONS = ["all", "mentions", "none"]
SLOTS = ["09:00", "10:30", "12:00", "14:30", "16:00", "18:30"]
ROOMS = ["standard", "deluxe", "suite"]
REQUESTS = ["late check-in", "extra pillows", "quiet room", "crib", "sea view"]


@dataclass
class FormsState:
    kind: str  # "settings" or "booking"
    user: str
    password: str
    goal: dict[str, Any]
    settings: dict[str, Any]
    logged_in: bool = False
    saves: int = 0
    bookings: list[dict[str, Any]] = field(default_factory=list)


def make_state(kind: str, seed: int) -> FormsState:
    rng = random.Random(f"forms/{kind}/{seed}")
    user = rng.choice(USERS)
    password = "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(8))
    settings = {"display_name": rng.choice(NAMES), "timezone": rng.choice(TIMEZONES),
                "notifications": rng.choice(NOTIFICATIONS), "newsletter": rng.random() < 0.5}
    if kind == "settings":
        goal = {"display_name": rng.choice([n for n in NAMES if n != settings["display_name"]]),
                "timezone": rng.choice([t for t in TIMEZONES if t != settings["timezone"]]),
                "notifications": rng.choice(NOTIFICATIONS),
                "newsletter": not settings["newsletter"]}
    else:
        goal = {"date": f"2027-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "time": rng.choice(SLOTS), "guests": str(rng.randint(1, 6)),
                "room": rng.choice(ROOMS), "request": rng.choice(REQUESTS)}
    return FormsState(kind, user, password, goal, settings)


def goal_text(state: FormsState) -> str:
    g = state.goal
    login = f"Sign in as {state.user} (password: {state.password})."
    if state.kind == "settings":
        news = "subscribe to" if g["newsletter"] else "unsubscribe from"
        return (f"{login} In Settings, set your display name to \"{g['display_name']}\", "
                f"your time zone to {g['timezone']}, notifications to \"{g['notifications']}\", "
                f"and {news} the newsletter; then save.")
    return (f"{login} Book a {g['room']} room for {g['guests']} guest(s) on {g['date']} at "
            f"{g['time']}, with the special request \"{g['request']}\".")


class FormsSite:
    def handle(self, request: Request) -> Response:
        state: FormsState = request.session
        path = request.path.rstrip("/") or "/"
        if path == "/login":
            return self.login(state, request)
        if not state.logged_in:
            return redirect("/forms/login")
        if path == "/":
            return page(f"Welcome, {state.settings['display_name']}", self.nav(state),
                        "<p>Manage your settings or book a room.</p>")
        if path == "/settings":
            return self.settings(state, request)
        if path == "/booking":
            return self.booking(state, request)
        return Response("not found", 404)

    def nav(self, state: FormsState) -> list[tuple[str, str]]:
        if not state.logged_in:
            return [("/forms/login", "Sign in")]
        return [("/forms/", "Account"), ("/forms/settings", "Settings"),
                ("/forms/booking", "Booking")]

    def login(self, state: FormsState, request: Request) -> Response:
        error = ""
        if request.method == "POST":
            if (form_field(request, "username") == state.user
                    and form_field(request, "password") == state.password):
                state.logged_in = True
                return redirect("/forms/")
            error = '<p class="err">Wrong username or password.</p>'
        body = (error + '<form method="post" action="/forms/login">'
                + text_input("username", "Username") + text_input("password", "Password", "",
                                                                  "password")
                + '<button type="submit">Sign in</button></form>')
        return page("Sign in", self.nav(state), body)

    def settings(self, state: FormsState, request: Request) -> Response:
        note = ""
        if request.method == "POST":
            state.settings = {
                "display_name": form_field(request, "display_name"),
                "timezone": form_field(request, "timezone"),
                "notifications": form_field(request, "notifications"),
                "newsletter": form_field(request, "newsletter") == "on"}
            state.saves += 1
            note = '<p class="msg">Settings saved.</p>'
        s = state.settings
        radios = "".join(
            f'<label><input type="radio" name="notifications" value="{n}"'
            f'{" checked" if s["notifications"] == n else ""}> {n}</label>' for n in NOTIFICATIONS)
        body = (note + '<form method="post" action="/forms/settings">'
                + text_input("display_name", "Display name", s["display_name"])
                + select("timezone", "Time zone", TIMEZONES, s["timezone"])
                + f"<fieldset><legend>Notifications</legend>{radios}</fieldset>"
                + '<label><input type="checkbox" name="newsletter"'
                + (" checked" if s["newsletter"] else "") + "> Newsletter</label>"
                + '<button type="submit">Save</button></form>')
        return page("Settings", self.nav(state), body)

    def booking(self, state: FormsState, request: Request) -> Response:
        if request.method == "POST":
            state.bookings.append({k: form_field(request, k)
                                   for k in ("date", "time", "guests", "room", "request")})
            return page("Booking confirmed", self.nav(state),
                        f'<p class="msg">Booking #{len(state.bookings)} confirmed.</p>')
        radios = "".join(f'<label><input type="radio" name="room" value="{r}"> {r}</label>'
                         for r in ROOMS)
        body = ('<form method="post" action="/forms/booking">'
                + text_input("date", "Date (YYYY-MM-DD)")
                + select("time", "Time", SLOTS)
                + select("guests", "Guests", [str(n) for n in range(1, 7)])
                + f"<fieldset><legend>Room</legend>{radios}</fieldset>"
                + '<label>Special request <textarea name="request"></textarea></label>'
                + '<button type="submit">Book</button></form>')
        return page("Book a room", self.nav(state), body)


class FormsTask(SiteTask):
    prefix = "forms"
    start_path = "/login"

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def make_site(self) -> FormsSite:
        return FormsSite()

    def task_id(self, seed: int) -> str:
        return f"forms.{self.kind}/{seed}"

    def new_session(self, seed: int) -> tuple[FormsState, str]:
        state = make_state(self.kind, seed)
        return state, goal_text(state)

    def check(self, state: FormsState) -> TaskStatus:
        if state.kind == "settings":
            if not state.saves:
                return TaskStatus()
            final = state.settings
        else:
            if not state.bookings:
                return TaskStatus()
            final = state.bookings[0]
        right = {k: final.get(k) == v for k, v in state.goal.items()}
        score = sum(right.values()) / len(right)
        return TaskStatus(done=True, success=all(right.values()), reward=score,
                          info={"reward_components": right})

    async def oracle(self, pg: Any) -> str:
        state: FormsState = self.session
        path = pg.url.split(f"/{self.prefix}", 1)[1].split("?")[0].rstrip("/") or "/"
        if not state.logged_in:
            return await self._fill_and_submit(pg, [("username", state.user),
                                                    ("password", state.password)])
        target = f"/{state.kind}"
        if path != target:
            return await act_on(pg, "click", f'nav a[href="/forms{target}"]')
        g = state.goal
        if state.kind == "settings":
            action = await self._fill_and_submit(pg, [("display_name", g["display_name"]),
                                                      ("timezone", g["timezone"])], submit=False)
            if action:
                return action
            radio = f'input[name="notifications"][value="{g["notifications"]}"]'
            if not await pg.is_checked(radio):
                return await act_on(pg, "click", radio)
            if await pg.is_checked('input[name="newsletter"]') != g["newsletter"]:
                return await act_on(pg, "click", 'input[name="newsletter"]')
            return await act_on(pg, "click", "form button")
        action = await self._fill_and_submit(pg, [("date", g["date"]), ("time", g["time"]),
                                                  ("guests", g["guests"]),
                                                  ("request", g["request"])], submit=False)
        if action:
            return action
        radio = f'input[name="room"][value="{g["room"]}"]'
        if not await pg.is_checked(radio):
            return await act_on(pg, "click", radio)
        return await act_on(pg, "click", "form button")

    async def _fill_and_submit(self, pg: Any, fields: list[tuple[str, str]],
                               submit: bool = True) -> str:
        for name, value in fields:
            selector = f'[name="{name}"]'
            if await pg.input_value(selector) != value:
                tag = await pg.eval_on_selector(selector, "e => e.tagName")
                verb = "select_option" if tag == "SELECT" else "fill"
                return await act_on(pg, verb, selector, value)
        return await act_on(pg, "click", "form button") if submit else ""


class FormsEnv(WebEnv):
    """`web/forms.<kind>-v0`: sign in and fill the site's forms as instructed."""

    def __init__(self, kind: str, obs: str = "axtree", screenshot: bool = True) -> None:
        super().__init__(FormsTask(kind), obs=obs, screenshot=screenshot)
