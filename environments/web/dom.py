"""Page-side scripts: tag every element with a stable `bid`, flatten the accessibility tree.

Bids follow BrowserGym: an attribute `bid` on every element, assigned once
and kept while the element lives, so an agent can refer to what it saw.
Roles and names come from Blink's own accessibility computation
(`Element.computedRole` / `computedName`, enabled by a launch flag).
"""

from __future__ import annotations

BID_ATTR = "bid"

# Returns {"text": flattened tree, "interactive": [{bid, role, name, options}]}.
# `root` is a CSS selector (the task's area), `maxLines` bounds the output.
AXTREE_JS = r"""
([root, maxLines]) => {
  let next = window.__gaBidNext || 0;
  for (const el of document.querySelectorAll('*')) {
    if (!el.hasAttribute('bid')) el.setAttribute('bid', String(next++));
  }
  window.__gaBidNext = next;
  const skipRoles = new Set(['generic', 'none', 'presentation', '', 'paragraph',
                             'group', 'Section', 'LabelText', 'strong', 'emphasis']);
  const interactiveRoles = new Set(['button', 'link', 'checkbox', 'radio', 'textbox',
    'combobox', 'listbox', 'option', 'menuitem', 'tab', 'searchbox', 'spinbutton',
    'slider', 'switch', 'treeitem', 'gridcell', 'cell']);
  const lines = [];
  const interactive = [];
  const clean = s => (s || '').replace(/\s+/g, ' ').trim();
  const visible = el => {
    if (!el.checkVisibility || el.checkVisibility({visibilityProperty: true})) {
      const r = el.getBoundingClientRect();
      return r.width > 0 || r.height > 0 || el.tagName === 'OPTION';
    }
    return false;
  };
  const walk = (el, depth) => {
    if (lines.length >= maxLines) return;
    if (el.nodeType === Node.TEXT_NODE) {
      const t = clean(el.textContent);
      if (t) lines.push('  '.repeat(depth) + 'StaticText ' + JSON.stringify(t));
      return;
    }
    if (el.nodeType !== Node.ELEMENT_NODE) return;
    const tag = el.tagName;
    if (tag === 'SCRIPT' || tag === 'STYLE' || tag === 'HEAD' || tag === 'NOSCRIPT') return;
    if (el.getAttribute('aria-hidden') === 'true' || !visible(el)) return;
    const role = el.computedRole || '';
    const name = clean(el.computedName);
    const bid = el.getAttribute('bid');
    let childDepth = depth;
    const clickable = el.onclick || el.hasAttribute('onclick') || tag === 'svg' ||
      el instanceof SVGElement;
    if (!skipRoles.has(role) || clickable || tag === 'INPUT' || tag === 'TEXTAREA') {
      let line = '  '.repeat(depth) + '[' + bid + '] ' + (role || tag.toLowerCase());
      if (name) line += ' ' + JSON.stringify(name);
      const props = [];
      if ('value' in el && ['INPUT', 'TEXTAREA', 'SELECT'].includes(tag) &&
          !['checkbox', 'radio', 'submit', 'button'].includes(el.type))
        props.push('value=' + JSON.stringify(String(el.value)));
      if (el.type === 'checkbox' || el.type === 'radio') props.push('checked=' + el.checked);
      if (tag === 'OPTION' && el.selected) props.push('selected');
      if (el.disabled) props.push('disabled');
      if (document.activeElement === el && el !== document.body) props.push('focused');
      if (el.placeholder) props.push('placeholder=' + JSON.stringify(el.placeholder));
      if (props.length) line += ', ' + props.join(', ');
      lines.push(line);
      childDepth = depth + 1;
      if (interactiveRoles.has(role) || clickable || tag === 'INPUT' || tag === 'SELECT') {
        const entry = {bid, role: role || tag.toLowerCase(), name};
        if (tag === 'SELECT') entry.options = Array.from(el.options).map(o => clean(o.text));
        interactive.push(entry);
      }
      // A leaf with a name already says its text.
      if (name && el.children.length === 0 && tag !== 'SELECT') return;
      if (tag === 'INPUT' || tag === 'TEXTAREA') return;
    }
    for (const child of el.childNodes) walk(child, childDepth);
  };
  const top = document.querySelector(root) || document.body;
  if (top) walk(top, 0);
  if (lines.length >= maxLines) lines.push('... (tree cut at ' + maxLines + ' lines)');
  return {text: lines.join('\n'), interactive};
}
"""

# Centre of an element in viewport pixels, or null when it has no box.
CENTER_JS = r"""
(el) => {
  el.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) return null;
  return [Math.round(r.left + r.width / 2), Math.round(r.top + r.height / 2)];
}
"""
