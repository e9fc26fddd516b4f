// Small helpers to build the page from script: elements with attributes, text and handlers
// (never a style attribute: the CSP allows styles only from the stylesheet and from script).

const SVG_NS = 'http://www.w3.org/2000/svg';

// Fill el with attributes: class, text, on (event handlers), dataset, the rest as attributes.
function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  return el;
}

// An HTML element with attributes and children (nodes or strings).
export function h(tag, attrs, ...children) {
  const el = apply(document.createElement(tag), attrs);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

// An SVG element with attributes and children.
export function s(tag, attrs, ...children) {
  const el = apply(document.createElementNS(SVG_NS, tag), attrs);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c);
  return el;
}

export const $ = (id) => document.getElementById(id);

// Replace el's children.
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
}

// A checkbox or radio drawn as a big chip, labelled by its text.
export function chip(type, name, value, text, checked) {
  return h('label', { class: 'chip' },
    h('input', { type, name, value, checked: !!checked }),
    h('span', { text }));
}

// A whole number of seconds as "4 min 05 s" or "35 s".
export function minSec(total_s) {
  const t = Math.max(0, Math.round(total_s));
  const m = Math.floor(t / 60);
  const sec = t % 60;
  return m ? `${m} min ${String(sec).padStart(2, '0')} s` : `${sec} s`;
}

// Minutes in words, rounded for people: "3 min", "40 s".
export function duration(s_) {
  return s_ >= 90 ? `${Math.round(s_ / 60)} min` : `${Math.round(s_)} s`;
}
