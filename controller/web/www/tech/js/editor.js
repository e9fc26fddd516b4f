// The program editor: a plain textarea with the line numbers beside it, and the lines the
// checker named marked in both the numbers and the text behind it. The marks stay until the
// next check, so they keep pointing at the text the checker read.

export class Editor {
  constructor(textarea, gutter, backdrop) {
    this.ta = textarea;
    this.gutter = gutter;
    this.backdrop = backdrop;
    this.marks = new Map(); // line number (1-based) → 'error' | 'warning'
    this.notes = new Map(); // line number → the checker's messages for it
    this.lineCount = 0;
    this.ta.addEventListener('input', () => this.render());
    this.ta.addEventListener('scroll', () => this.follow());
    this.render();
  }

  text() {
    return this.ta.value;
  }

  setText(text) {
    this.ta.value = text;
    this.ta.scrollTop = 0;
    this.render();
  }

  // Mark lines: a Map of line number to kind, and to the messages shown on a hover of its
  // number; empty Maps clear.
  mark(marks, notes) {
    this.marks = marks;
    this.notes = notes || new Map();
    this.lineCount = -1; // draw again even if the number of lines is the same
    this.render();
  }

  // Put the cursor at the start of line n and bring it into view.
  goToLine(n) {
    const lines = this.ta.value.split('\n');
    let at = 0;
    for (let i = 0; i < n - 1 && i < lines.length; i++) at += lines[i].length + 1;
    this.ta.focus();
    this.ta.setSelectionRange(at, at + (lines[n - 1] || '').length);
    const lineHeight = parseFloat(getComputedStyle(this.ta).lineHeight) || 24;
    this.ta.scrollTop = Math.max(0, (n - 3) * lineHeight);
    this.follow();
  }

  // The numbers and the marked lines behind the text, one row a line.
  render() {
    const lines = this.ta.value.split('\n');
    if (lines.length !== this.lineCount) {
      this.lineCount = lines.length;
      const numbers = [];
      for (let i = 1; i <= lines.length; i++) {
        const row = document.createElement('div');
        row.textContent = String(i);
        row.dataset.line = String(i);
        const kind = this.marks.get(i);
        if (kind) {
          row.className = 't-bad-line';
          row.dataset.kind = kind;
          if (this.notes.has(i)) row.title = this.notes.get(i);
        }
        numbers.push(row);
      }
      this.gutter.replaceChildren(...numbers);
    }
    const rows = lines.map((line, i) => {
      const row = document.createElement('div');
      row.textContent = line || ' ';
      if (this.marks.has(i + 1)) row.className = 't-bad-line';
      return row;
    });
    this.backdrop.replaceChildren(...rows);
    this.follow();
  }

  // Keep the numbers and the marks level with the text as it scrolls.
  follow() {
    this.gutter.scrollTop = this.ta.scrollTop;
    this.backdrop.scrollTop = this.ta.scrollTop;
    this.backdrop.scrollLeft = this.ta.scrollLeft;
  }
}

// One line of the checker ("NAME:LINE:COL: error: message") as {line, col, kind, message};
// line 0 when it names no line.
export function parseDiagnostic(name, text) {
  let rest = text;
  if (name && rest.startsWith(name + ':')) rest = rest.slice(name.length + 1);
  let m = /^(\d+):(\d+): (error|warning|note): (.*)$/s.exec(rest);
  if (!m) m = /^.*?:(\d+):(\d+): (error|warning|note): (.*)$/s.exec(text);
  if (!m) return { line: 0, col: 0, kind: 'error', message: text };
  return { line: Number(m[1]), col: Number(m[2]), kind: m[3], message: m[4] };
}
