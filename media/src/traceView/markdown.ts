// The Markdown of hovers (src/editor/hover.ts) as DOM: paragraphs, `- ` lists, `---` rules,
// **bold**, `code` and [links](#reveal-N). That is all the hover texts use. Text only ever goes
// into text nodes, never innerHTML; links are the view's own (`viewLink`), handled by `onLink`.

import { parseViewLink } from '../../../src/protocol/traceView';

type LinkHandler = (link: { kind: 'reveal' | 'debug'; line: number }) => void;

/** Inline Markdown of one line into `parent`. */
function inline(parent: HTMLElement, text: string, onLink: LinkHandler): void {
  const re = /\*\*(.+?)\*\*|`([^`]*)`|\[([^\]]*)\]\(([^)\s]*)\)/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) parent.append(text.slice(last, m.index));
    if (m[1] !== undefined) {
      const b = document.createElement('strong');
      inline(b, m[1], onLink);
      parent.append(b);
    } else if (m[2] !== undefined) {
      const c = document.createElement('code');
      c.textContent = m[2];
      parent.append(c);
    } else {
      const a = document.createElement('a');
      const href = m[4];
      const link = parseViewLink(href);
      inline(a, m[3], onLink);
      a.href = link ? href : '#';
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        if (link) onLink(link);
      });
      parent.append(a);
    }
    last = m.index + m[0].length;
  }
  if (last < text.length) parent.append(text.slice(last));
}

/** A hover's Markdown as a fragment of paragraphs, lists and rules. */
export function renderMarkdown(md: string, onLink: LinkHandler): DocumentFragment {
  const out = document.createDocumentFragment();
  let list: HTMLUListElement | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('- ')) {
      if (!list) out.append((list = document.createElement('ul')));
      const li = document.createElement('li');
      inline(li, line.slice(2), onLink);
      list.append(li);
      continue;
    }
    list = undefined;
    if (!line.trim()) continue;
    if (line.trim() === '---') {
      out.append(document.createElement('hr'));
      continue;
    }
    const p = document.createElement('p');
    inline(p, line, onLink);
    out.append(p);
  }
  return out;
}
