"""A crawler that finds every page and form a role can reach and sends each form hostile values.

Pages are found from the URL map (every GET route without arguments) and from the links on the
pages themselves; forms are read from their HTML with `html.parser`. Each form is sent:
- once per hostile text (empty, 100k characters, NUL, newlines, emoji) in every field at once;
- once per hostile number or date in each field alone, the other fields plausible, so the
  value reaches as deep as the form lets it;
and every POST route whose URL can be built from the ids seen is sent JSON bodies of the wrong
shape. Any answer of 500 or more (or an exception the app let through) is a failure.
"""

import json
import re
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

HUGE = "x" * 100_000
TEXTS = ["", HUGE, "a\x00b", "line one\r\nline two\nBcc: someone@evil.example", "🚤🎹 ñ " * 8]
NUMBERS = ["-1", "1e26", str(2**63), "1e25", "10000000000000"]
JSON_BODIES = ["a string", [1, 2], 5, {"payment_method": ["x"], "id": 2**63}]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@dataclass
class Field:
    name: str
    tag: str  # input, select, textarea, button
    kind: str = "text"  # the input's type
    value: str = ""
    options: list[str] = field(default_factory=list)
    checked: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: list[Field] = field(default_factory=list)


class FormParser(HTMLParser):
    """Every <form> of a page and its named fields; links (<a href>) too."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: Field | None = None
        self._textarea: Field | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            self._form = Form(a.get("method", "get").lower(), a.get("action", ""))
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif self._form is None or not a.get("name"):
            return
        elif tag in ("input", "button"):
            kind = a.get("type", "text" if tag == "input" else "submit").lower()
            self._form.fields.append(
                Field(a["name"], tag, kind, a.get("value", ""), checked="checked" in a)
            )
        elif tag == "select":
            self._select = Field(a["name"], "select", "select")
            self._form.fields.append(self._select)
        elif tag == "textarea":
            self._textarea = Field(a["name"], "textarea", "textarea")
            self._form.fields.append(self._textarea)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def plausible(f: Field) -> str | None:
    """A value a careful person might send in this field (None: leave the field out)."""
    name = f.name.lower()
    if f.kind in ("checkbox", "radio"):
        if f.checked or any(w in name for w in ("accept", "terms")):
            return f.value or "y"
        return None
    if f.kind == "file":
        return None
    if f.tag == "select":
        return f.value or next((o for o in f.options if o), "")
    if f.value:
        return f.value
    if f.kind == "email" or "email" in name:
        return "ada@example.com"
    if f.kind == "number" or any(w in name for w in ("quantity", "qty")):
        return "1"
    if f.kind == "date" or name.endswith(("_on", "_until", "date")):
        return (date.today() + timedelta(days=10)).isoformat()
    if f.kind == "time":
        return "10:00"
    if any(w in name for w in ("amount", "price", "cost")):
        return "100.00"
    if "phone" in name or f.kind == "tel":
        return "+1 503 555 0100"
    if name == "region":
        return "WA"
    if "postal" in name:
        return "98101"
    return "Hello there"


def year_9999(value: str | None) -> str:
    """Year 9999 in the shape of the field's value: an instant at the very end of it, west of
    UTC (it overflows once moved to UTC), or a plain date."""
    if value and _DATE.match(value) and "T" in value:
        return "9999-12-31T23:30:00-05:00"
    return "9999-12-31"


# Free-text fields: numbers and dates in them are only text, so they get the text values only.
_TEXT_NAMES = re.compile(
    r"name|email|subject|message|comment|reason|note|body|description|payer|address|city|"
    r"phone|password|confirm|known|instructions|^q$"
)


def is_free_text(f: Field) -> bool:
    if f.tag == "textarea" or f.kind in ("file", "password", "email", "tel", "search"):
        return True
    return f.kind == "text" and bool(_TEXT_NAMES.search(f.name.lower()))


# Fields that carry amounts, quantities, ids, dates or choices get every hostile number; the
# others a rotating sample of two (a form of forty fields would otherwise take seconds).
_NUMERIC_NAMES = re.compile(
    r"amount|price|cost|quantit|qty|_id$|^id$|value|pct|percent|rep|^to$|into|window|slot|"
    r"date|_on$|until|page|_min$|_max$"
)


def sample(name: str, value: str | None, i: int) -> list[str]:
    """The hostile values one field gets in the per-field pass: the two that overflow and one
    more in turn for amounts, quantities, ids and the like, one in turn for other fields, and
    year 9999 for a date."""
    others = [NUMBERS[0], NUMBERS[3], NUMBERS[4], year_9999(value)]
    if _NUMERIC_NAMES.search(name.lower()):
        chosen = ["1e26", str(2**63), others[i % len(others)]]
    else:
        chosen = [[*NUMBERS, year_9999(value)][i % (len(NUMBERS) + 1)]]
    if value and _DATE.match(value) and year_9999(value) not in chosen:
        chosen.append(year_9999(value))
    return chosen


def values_of(form: Form, hints: dict) -> dict:
    """A careful person's values for the whole form: one per name (the checked radio, or the
    first of its group), with hints (real references, say) where the world gave them."""
    values: dict[str, str | None] = {}
    for f in form.fields:
        if f.kind == "submit" and not f.name:
            continue
        value = plausible(f)
        if f.kind == "radio" and f.name in values and not f.checked:
            continue
        if f.kind == "radio" and value is None and f.name not in values:
            value = f.value
        if f.name in hints and f.name != "csrf_token":
            value = hints[f.name]
        values[f.name] = value
    return values


@dataclass
class Failure:
    role: str
    method: str
    url: str
    what: str
    status: int
    detail: str = ""

    def __str__(self):
        return f"{self.status} {self.role} {self.method} {self.url} [{self.what}] {self.detail}"


class Crawler:
    """Crawl as one logged-in client; collect forms and failures."""

    SKIP_ACTIONS = ("/account/logout",)
    PER_ENDPOINT = 2
    MAX_PAGES = 120

    def __init__(self, app, client, role: str, start: list[str] = ()):
        self.app, self.client, self.role = app, client, role
        self.adapter = app.url_map.bind("localhost")
        self.start = list(start)
        self.pages: dict[str, str] = {}  # url -> endpoint
        self.forms: dict[tuple, tuple[str, Form]] = {}  # key -> (page url, form)
        self.seen: list[tuple[str, dict]] = []  # (rule, URL arguments) of each page crawled
        self.failures: list[Failure] = []
        self.requests = 0
        self.timings: dict[str, float] = {}  # endpoint -> seconds spent on it

    # --- requests -------------------------------------------------------------------------

    def send(self, method: str, url: str, what: str, **kw):
        self.requests += 1
        started = time.perf_counter()
        try:
            # A browser follows a form's redirect: the page after it runs too (and reads the
            # flashed messages, which would otherwise pile up in the session cookie).
            follow = method.upper() == "POST"
            response = self.client.open(url, method=method.upper(), follow_redirects=follow, **kw)
        except Exception as exc:
            detail = f"{type(exc).__name__}: {str(exc)[:200]}"
            self.failures.append(Failure(self.role, method, url[:200], what, 500, detail))
            return None
        finally:
            name = (self.endpoint(urlsplit(url).path, method.upper()) or ("?",))[0]
            self.timings[name] = self.timings.get(name, 0) + time.perf_counter() - started
        if response.status_code >= 500:
            self.failures.append(Failure(self.role, method, url[:200], what, response.status_code))
        return response

    def csrf(self) -> str:
        response = self.client.get("/cart/")  # a page of their own session
        match = _CSRF_META.search(response.get_data(as_text=True))
        return match.group(1) if match else ""

    # --- discovery ------------------------------------------------------------------------

    def endpoint(self, path: str, method: str = "GET") -> tuple[str, dict] | None:
        try:
            return self.adapter.match(path, method=method)
        except RequestRedirect:
            return None
        except HTTPException:
            return None

    def discover(self) -> None:
        queue = list(self.start)
        for rule in self.app.url_map.iter_rules():
            if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static":
                queue.append(rule.rule)
        counts: dict[str, int] = {}
        while queue and len(self.pages) < self.MAX_PAGES:
            url = queue.pop(0)
            parts = urlsplit(url)
            if parts.netloc and parts.netloc not in ("localhost", "shop.test"):
                continue
            url = parts.path + (f"?{parts.query}" if parts.query else "")
            if url in self.pages or parts.path.startswith("/static"):
                continue
            match = self.endpoint(parts.path)
            if match is None:
                continue
            name, values = match
            if counts.get(name, 0) >= self.PER_ENDPOINT:
                continue
            counts[name] = counts.get(name, 0) + 1
            self.pages[url] = name
            rule = self.adapter.match(parts.path, return_rule=True)[0].rule
            self.seen.append((rule, values))
            response = self.send("GET", url, "page")
            if response is None or response.status_code != 200:
                continue
            if not response.mimetype.startswith("text/html"):
                continue
            parser = FormParser()
            parser.feed(response.get_data(as_text=True))
            for form in parser.forms:
                action = urljoin(parts.path, form.action or url)
                path = urlsplit(action).path
                if path in self.SKIP_ACTIONS:
                    continue
                target = self.endpoint(path, "POST" if form.method == "post" else "GET")
                names = tuple(sorted(f.name for f in form.fields))
                key = (form.method, target[0] if target else path, names)
                if key not in self.forms:
                    form.action = action
                    self.forms[key] = (url, form)
            queue.extend(urljoin(url, link) for link in parser.links)

    # --- attacks --------------------------------------------------------------------------

    def submit(self, form: Form, values: dict, what: str) -> None:
        data = [(k, v) for k, v in values.items() if v is not None]
        if form.method == "post":
            self.send("POST", form.action, what, data=MultiDict(data))
        else:
            base = urlsplit(form.action)
            query = parse_qsl(base.query) + data
            self.send("GET", f"{base.path}?{urlencode(query)}", what)

    def attack_forms(self, attacked: set, hints: dict) -> None:
        """Forms no role has attacked yet: the full set; others: a short one, as this role."""
        for key, (page, form) in self.forms.items():
            base = values_of(form, hints)
            editable = [
                f for f in form.fields if f.name != "csrf_token" and f.kind not in ("submit",)
            ]
            names = list(dict.fromkeys(f.name for f in editable))
            if not names:
                self.submit(form, base, f"as rendered on {page}")
                continue
            if key in attacked:
                for text in ("", "1e26", "a\x00b"):
                    self.submit(form, {**base, **dict.fromkeys(names, text)}, f"all={text!r}")
                continue
            attacked.add(key)
            for text in TEXTS:
                self.submit(form, {**base, **dict.fromkeys(names, text)}, f"all={text[:12]!r}")
            for i, name in enumerate(names):
                if all(is_free_text(f) for f in editable if f.name == name):
                    continue
                for value in sample(name, base.get(name), i):
                    self.submit(form, {**base, name: value}, f"{name}={value}")

    def attack_query_strings(self) -> None:
        """Query arguments seen in links (filters, pages, ids), each made hostile once per
        page kind."""
        done = set()
        for url, name in list(self.pages.items()):
            parts = urlsplit(url)
            query = parse_qsl(parts.query)
            for i, (key, value) in enumerate(query):
                if (name, key) in done:
                    continue
                done.add((name, key))
                for bad in ["-1", "1e26", str(2**63), year_9999(value), "a\x00b"]:
                    changed = [*query[:i], (key, bad), *query[i + 1 :]]
                    self.send("GET", f"{parts.path}?{urlencode(changed)}", f"?{key}={bad}")

    def arguments_for(self, rule) -> dict | None:
        """URL arguments for a POST rule from a page crawled: the page under the same path
        first (the pay page for its card steps), else any page with those arguments."""
        fits = [(r, v) for r, v in self.seen if v and rule.arguments <= v.keys()]
        fits.sort(key=lambda rv: not rule.rule.startswith(rv[0]))
        if not fits and rule.arguments:
            return None
        return {a: fits[0][1][a] for a in rule.arguments} if fits else {}

    def attack_json(self) -> None:
        """Every POST route buildable from the pages seen, sent JSON bodies of the wrong shape."""
        token = self.csrf()
        for rule in self.app.url_map.iter_rules():
            values = self.arguments_for(rule) if "POST" in rule.methods else None
            if values is None:
                continue
            url = self.adapter.build(rule.endpoint, values)
            if url in self.SKIP_ACTIONS:
                continue
            for body in JSON_BODIES:
                self.send(
                    "POST",
                    url,
                    f"json {body!r}"[:40],
                    data=json.dumps(body),
                    content_type="application/json",
                    headers={"X-CSRFToken": token},
                )

    def run(self, attacked: set, hints: dict) -> list[Failure]:
        """Crawl, then attack; `attacked`: the forms other roles already gave the full set."""
        self.discover()
        # JSON first: the forms' attacks may move what the pages showed (a card order given up,
        # say), and a wrong-shaped body changes nothing.
        self.attack_json()
        self.attack_query_strings()
        self.attack_forms(attacked, hints)
        return self.failures
