// The timeline picture of programs.plot, made of the page's own SVG elements: chaird's text
// is parsed as XML, never as HTML, and only drawing elements and presentation attributes
// are copied (no script, no links, no foreign content, no style, no event handlers), so a
// picture can only draw. The strict CSP of the panel allows neither blob: nor data: images.

const SVG_NS = 'http://www.w3.org/2000/svg';

const ELEMENTS = new Set(['svg', 'g', 'rect', 'line', 'polyline', 'polygon', 'path', 'circle',
  'ellipse', 'text', 'tspan', 'title', 'desc']);

const ATTRIBUTES = new Set(['x', 'y', 'x1', 'y1', 'x2', 'y2', 'cx', 'cy', 'r', 'rx', 'ry',
  'width', 'height', 'viewBox', 'd', 'points', 'fill', 'fill-opacity', 'stroke',
  'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'stroke-linecap', 'stroke-linejoin',
  'opacity', 'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline',
  'transform', 'dx', 'dy', 'preserveAspectRatio']);

// A colour or length may not smuggle a reference to elsewhere (url(...) of another document);
// a transform is only its own functions of numbers.
const SAFE_VALUE = /^[^()<>"'`\\]*$|^url\(#[A-Za-z0-9_-]+\)$/;
const SAFE_TRANSFORM = /^(\s*(translate|rotate|scale|matrix|skewX|skewY)\([-+0-9.eE,\s]*\))+\s*$/;

function safe(name, v) {
  return name === 'transform' ? SAFE_TRANSFORM.test(v) : SAFE_VALUE.test(v);
}

// Copy node (an element of the parsed document) and what it holds, keeping only what draws.
function copy(node) {
  const name = node.localName;
  if (node.namespaceURI !== SVG_NS || !ELEMENTS.has(name)) return null;
  const out = document.createElementNS(SVG_NS, name);
  for (const a of node.attributes) {
    if (a.namespaceURI === null && ATTRIBUTES.has(a.name) && safe(a.name, a.value)) {
      out.setAttribute(a.name, a.value);
    }
  }
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      out.append(document.createTextNode(child.data));
    } else if (child.nodeType === Node.ELEMENT_NODE) {
      const c = copy(child);
      if (c) out.append(c);
    }
  }
  return out;
}

// The <svg> element for text, labelled label for screen readers; throws when text is not
// an SVG document.
export function svgFromText(text, label) {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (!root || root.localName !== 'svg' || doc.getElementsByTagName('parsererror').length) {
    throw new Error('the timeline is not a picture the page can show');
  }
  const svg = copy(root);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  return svg;
}
