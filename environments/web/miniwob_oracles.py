"""Oracles for MiniWoB++ tasks, one JS function body per task.

Each body runs in the task page, may read anything there (the query, the
task's variables, hidden DOM state) and returns the next action as a
BrowserGym call built by the PRELUDE's helpers. It is called again after
every step, so it decides from the page's current state, not from memory.
"""

PRELUDE = r"""
const bid = e => e.getAttribute('bid');
const call = (name, ...args) => name + '(' + args.map(a => JSON.stringify(a)).join(', ') + ')';
const click = e => call('click', bid(e));
const fill = (e, v) => call('fill', bid(e), v);
const select = (e, v) => call('select_option', bid(e), v);
const $$ = s => Array.from(document.querySelectorAll(s));
const $1 = s => document.querySelector(s);
const utterance = core.getUtterance();
const query = typeof utterance === 'string' ? utterance : utterance.utterance;
const quoted = (i = 0) => [...query.matchAll(/"([^"]*)"/g)][i][1];
const byText = (sel, t) => $$(sel).find(e => e.textContent.trim() === t);
const fillThen = (pairs, last) => {
  for (const [e, v] of pairs) if (e.value !== v) return fill(e, v);
  return click(last);
};
const visible = e => e && e.getClientRects().length > 0 &&
  getComputedStyle(e).visibility !== 'hidden';
"""

_CHECKBOXES = r"""
const m = query.match(/^Select (.*) and click Submit\.$/);
const want = m[1] === 'nothing' ? [] : m[1].split(', ');
for (const box of $$('#area input[type=checkbox]')) {
  const name = box.parentElement.textContent.trim();
  if (box.checked !== want.includes(name)) return click(box);
}
return click($1('#subbtn'));
"""

_COLLAPSIBLE = r"""
const content = $1('.ui-accordion-content');
if (!visible(content)) return click($1('#area h3'));
return click($1('#subbtn'));
"""

# A link hidden in a closed tab or section: open that first, then click it.
_HIDDEN_LINK = r"""
const link = byText('#area .alink', quoted());
// click-tab-2-medium: with the link gone (tab 2 emptied), tab 2 itself is the answer.
if (!link) return click($$('.ui-tab')[1]);
if (visible(link)) return click(link);
const tab = link.closest('[id^=tabs-]');
if (tab) return click($1('#area ul a[href="#' + tab.id + '"]'));
return click(link.closest('div').previousElementSibling);
"""

_ARITHMETIC = r"""
const [a, op, b] = $1('#math-problem').textContent.trim().split(/\s+/);
const value = op === '+' ? +a + +b : op === '-' ? a - b : a * b;
return fillThen([[$1('#math-answer'), String(value)]], $1('#subbtn'));
"""

_ALGEBRA = r"""
const [l, op, r, , m] = $1('#math-problem').textContent.trim().split(/\s+/);
let x;
if (l === 'x') x = op === '+' ? m - r : +m + +r;
else x = op === '+' ? m - l : l - m;
return fillThen([[$1('#math-answer'), String(x)]], $1('#subbtn'));
"""

_AUTOCOMPLETE = r"""
const start = quoted(0), end = query.includes('ends with') ? quoted(1) : '';
const item = ui_utils.COUNTRIES.find(c => c.startsWith(start) && c.endsWith(end));
const tags = $1('#tags');
// The suggestion menu can cover the Submit button: close it first.
const menuOpen = visible($1('.ui-autocomplete'));
if (tags.value === item && menuOpen) return call('press', bid(tags), 'Escape');
return fillThen([[tags, item]], $1('#subbtn'));
"""

ORACLES: dict[str, str] = {
    "click-button": "return click(byText('#area button', quoted()));",
    "click-link": "return click(byText('#area .alink', quoted()));",
    "click-test": "return click($1('#subbtn'));",
    "click-test-2": "return click($1('#subbtn'));",
    "click-button-sequence":
        "return click($1(buttonsPushed.length === 0 ? '#subbtn' : '#subbtn2'));",
    "click-dialog": "return click($1('.ui-dialog-titlebar button'));",
    "click-dialog-2": r"""
const want = quoted();
if (want === 'x') return click($1('.ui-dialog-titlebar button'));
return click(byText('.ui-dialog-buttonpane button', want));
""",
    "click-tab": r"""
const n = query.match(/#(\d)/)[1];
return click($1('#area ul a[href="#tabs-' + n + '"]'));
""",
    "click-checkboxes": _CHECKBOXES,
    "click-checkboxes-large": _CHECKBOXES,
    "click-option": r"""
const name = query.match(/^Select (.*) and click Submit\.$/)[1];
const box = $$('#boxes input').find(b => b.parentElement.textContent.trim() === name);
return box.checked ? click($1('#subbtn')) : click(box);
""",
    "click-widget": r"""
const kind = quoted();
const widget = $$('#area .widget [data-type]').find(e => e.getAttribute('data-type') === kind);
return click(widget);
""",
    "click-collapsible": _COLLAPSIBLE,
    "click-collapsible-nodelay": _COLLAPSIBLE,
    "focus-text": "return click($1('#tt'));",
    "focus-text-2": r"""
const i = ['1st', '2nd', '3rd'].findIndex(p => query.includes(p));
return click($1('#tt' + (i + 1)));
""",
    "enter-text": "return fillThen([[$1('#tt'), quoted()]], $1('#subbtn'));",
    "enter-text-2": r"""
const want = query.includes('upper case') ? quoted().toUpperCase() : quoted().toLowerCase();
return fillThen([[$1('#tt'), want]], $1('#subbtn'));
""",
    "enter-password": r"""
return fillThen([[$1('#password'), quoted()], [$1('#verify'), quoted()]], $1('#subbtn'));
""",
    "login-user": r"""
return fillThen([[$1('#username'), quoted(0)], [$1('#password'), quoted(1)]], $1('#subbtn'));
""",
    "choose-list": r"""
const want = query.match(/^Select (.*) from the list/)[1];
const sel = $1('#options');
if (sel.options[sel.selectedIndex].text !== want) return select(sel, want);
return click($1('#area button'));
""",
    "click-test-transfer":
        "return click($1(query.includes('TWO') ? '#subbtn2' : '#subbtn'));",
    "click-checkboxes-transfer": _CHECKBOXES,
    "click-tab-2": _HIDDEN_LINK,
    "click-tab-2-easy": _HIDDEN_LINK,
    "click-tab-2-medium": _HIDDEN_LINK,
    "click-tab-2-hard": _HIDDEN_LINK,
    "click-collapsible-2": _HIDDEN_LINK,
    "click-collapsible-2-nodelay": _HIDDEN_LINK,
    "enter-text-dynamic": "return fillThen([[$1('#tt'), quoted()]], $1('#subbtn'));",
    "unicode-test": "return click(byText('#area button', quoted()));",
    "copy-paste": "return fillThen([[$1('#answer-input'), $1('#to-copy').value]], $1('#subbtn'));",
    "copy-paste-2": r"""
const area = ['1st', '2nd', '3rd'].findIndex(p => query.includes(p)) + 1;
return fillThen([[$1('#answer-input'), $1('#text-' + area).value]], $1('#subbtn'));
""",
    "text-transform": "return fillThen([[$1('#tt'), $1('#captcha').textContent]], $1('#subbtn'));",
    "simple-arithmetic": _ARITHMETIC,
    "simple-algebra": _ALGEBRA,
    "login-user-popup": r"""
const popup = $1('#popup-cancel');
if (visible(popup)) return click(popup);
return fillThen([[$1('#username'), quoted(0)], [$1('#password'), quoted(1)]], $1('#subbtn'));
""",
    "enter-time": r"""
const [, h, m, half] = query.match(/Enter (\d+):(\d+)\s*([AP]M)?/);
const hour = half ? (+h % 12) + (half === 'PM' ? 12 : 0) : +h;
const want = String(hour).padStart(2, '0') + ':' + m;
return fillThen([[$1('#tt'), want]], $1('#subbtn'));
""",
    "use-spinner": r"""
const want = +query.match(/Select (-?\d+)/)[1];
const value = parseInt($1('#spinner').value, 10) || 0;
if (value < want) return click($1('.ui-spinner-up'));
if (value > want) return click($1('.ui-spinner-down'));
return click($1('#subbtn'));
""",
    "find-word": r"""
const words = $1('#area p').textContent.split(/\s+/).filter(Boolean);
const nth = query.match(/(\d+)(st|nd|rd|th) word/);
const word = words[+nth[1] - 1].replace(/[^a-zA-Z]+/g, '');
return fillThen([[$1('#answer-input'), word]], $1('#subbtn'));
""",
    "odd-or-even": r"""
for (const row of $$('.row')) {
  if (row.querySelector('button.selected')) continue;
  const odd = Math.abs(parseInt(row.querySelector('.display-number').textContent, 10)) % 2 === 1;
  return click(row.querySelector(odd ? '.odd' : '.even'));
}
return click($1('#submit'));
""",
    "sign-agreement": r"""
if (query.startsWith('Click the cancel')) return click($1('#cancel'));
const name = $1('#name');
if (name.disabled) {
  // The fields unlock once the agreement is scrolled to its end: wheel over it.
  if (!window.__gaHovered) {
    window.__gaHovered = true;
    return call('hover', bid($1('#text-area')));
  }
  return call('scroll', 0, 5000);
}
return fillThen([[name, quoted()]], $1(query.endsWith('"Agree"') ? '#agree' : '#cancel'));
""",
    "read-table": r"""
const key = query.match(/value of (.*) into the text field/)[1];
const row = $$('#tab tr').find(r => r.cells[0].textContent.trim() === key);
return fillThen([[$1('#tt'), row.cells[1].textContent.trim()]], $1('#subbtn'));
""",
    "enter-date": r"""
const [mm, dd, yyyy] = query.match(/(\d\d)\/(\d\d)\/(\d{4})/).slice(1);
return fillThen([[$1('#tt'), yyyy + '-' + mm + '-' + dd]], $1('#subbtn'));
""",
    "click-color": r"""
const color = query.match(/Click on the (.*) colored box/)[1];
return click($$('#area .color').find(b => b.getAttribute('data-color') === color));
""",
    "grid-coordinate":
        "return click($$('circle').find(c => c.id === query.match(/(\\(.*\\))/)[1]));",
    "form-sequence": r"""
const [, n, pos] = query.match(/Select (-?\d+) with the slider, click the (\w+) checkbox/);
const value = $('#slider').slider('value');
if (value !== +n) {
  return call('press', bid($1('#slider .ui-slider-handle')),
              value < +n ? 'ArrowRight' : 'ArrowLeft');
}
const box = $1('#checkbox-' + (['1st', '2nd', '3rd'].indexOf(pos) + 1));
if (!box.checked) return click(box);
return click($1('#subbtn'));
""",
    "form-sequence-2": r"""
const [, radio, number, box] =
  query.match(/Check the (\w+) radio button and enter the number "(-?\d+)" into the (\w+)/);
const nth = p => ['1st', '2nd', '3rd'].indexOf(p);
const button = $$('#area input[type=radio]')[nth(radio)];
if (!button.checked) return click(button);
return fillThen([[$1('#input-' + (nth(box) + 1)), number]], $1('#subbtn'));
""",
    "multi-orderings": r"""
const want = {Genre: 'b:nth-of-type(1)', Director: 'b:nth-of-type(2)', Year: 'b:nth-of-type(3)'};
const pairs = $$('#area tr').map(row => [row.querySelector('input'),
  $1('#query ' + want[row.querySelector('th').textContent.trim()]).textContent]);
return fillThen(pairs, $1('#area .final'));
""",
    "scroll-text": r"""
const words = $1('#text-area').value.trim().split(/\s+/);
const last = words[words.length - 1].replace(/[^a-zA-Z0-9]/g, '');
return fillThen([[$1('#answer-input'), last]], $1('#subbtn'));
""",
    "scroll-text-2": r"""
const area = $1('#text-area');
if (!window.__gaHovered) { window.__gaHovered = true; return call('hover', bid(area)); }
const down = query.includes('bottom');
const there = down ? area.scrollTop + area.offsetHeight >= area.scrollHeight - 5
                   : area.scrollTop === 0;
return there ? click($1('#subbtn')) : call('scroll', 0, down ? 5000 : -5000);
""",
    "guess-number": r"""
// Binary search on the page's own feedback (higher / lower than the last guess).
if (window.__gaLow === undefined) { window.__gaLow = 0; window.__gaHigh = 9; }
if (visible($1('#higher'))) window.__gaLow = Math.max(window.__gaLow,
                                                      +$1('#higher span').textContent + 1);
if (visible($1('#lower'))) window.__gaHigh = Math.min(window.__gaHigh,
                                                      +$1('#lower span').textContent - 1);
const guess = String(Math.floor((window.__gaLow + window.__gaHigh) / 2));
return fillThen([[$1('#tt'), guess]], $1('#subbtn'));
""",
    "use-autocomplete": _AUTOCOMPLETE,
    "use-autocomplete-nodelay": _AUTOCOMPLETE,
    "click-menu-2": r"""
const icon = query.includes('labeled')
  ? $$('#menu li').find(li => !li.querySelector('ul') && li.textContent.trim() === quoted(1))
  : $1('#menu .' + Array.from($1('#query .ui-icon').classList).find(c => c !== 'ui-icon'));
const item = icon.closest('li');
if (!visible($1('#menu'))) return click($1('#open-menu'));
if (!visible(item)) return call('hover', bid(item.parentElement.closest('li').firstElementChild));
return click(item.firstElementChild);
""",
    "social-media-all": r"""
const [action, user] = $$('#query .bold').map(b => b.textContent.trim());
for (const post of $$('#area .media')) {
  const control = post.querySelector('.' + action.toLowerCase());
  if (post.querySelector('.username').textContent === user && !control.classList.contains('active'))
    return click(control);
}
return click($1('#submitRow button'));
""",
}
