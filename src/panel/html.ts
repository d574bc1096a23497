// The lock panel's HTML shell: a strict Content-Security-Policy (scripts and styles only from the
// extension's own resources, and only with this load's nonce; no network, no eval, no inline code),
// the bundled stylesheet and script. Shared by src/vscode/panel.ts and the browser test.
// Pure.

export interface PanelHtmlOptions {
  /** `webview.cspSource`: the origin webview resources are served from. */
  cspSource: string;
  /** Fresh per load (see src/vscode/nonce.ts). */
  nonce: string;
  /** URIs (as strings) of out/media/panel.js and out/media/panel.css, from asWebviewUri. */
  scriptUri: string;
  styleUri: string;
  title?: string;
}

export function panelHtml(o: PanelHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${o.nonce}" href="${escapeAttr(o.styleUri)}">
<title>${escapeText(o.title ?? 'Lock state')}</title>
</head>
<body>
<script nonce="${o.nonce}" src="${escapeAttr(o.scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
