// config.get's INI text as sections of keys, in the order chaird wrote them.
export function parseIni(text) {
  const sections = [];
  let cur = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith(';') || line.startsWith('#')) continue;
    const head = /^\[([^\]]+)\]$/.exec(line);
    if (head) {
      cur = { name: head[1], keys: [] };
      sections.push(cur);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    if (!cur) {
      cur = { name: '', keys: [] };
      sections.push(cur);
    }
    cur.keys.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
  }
  return sections;
}

// The value of key in section, or undefined.
export function iniValue(sections, section, key) {
  const s = sections.find((x) => x.name === section);
  const kv = s && s.keys.find(([k]) => k === key);
  return kv ? kv[1] : undefined;
}
