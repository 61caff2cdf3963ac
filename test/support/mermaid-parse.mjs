/**
 * Parses Mermaid diagrams with the real parser, in a child process: mermaid ships as ESM only, which
 * jest's CommonJS runtime cannot import. mermaid's parse sanitizes labels with DOMPurify, which needs
 * a DOM, so a jsdom window stands in for the browser before mermaid is loaded.
 *
 * Input on stdin: a JSON array of diagram texts. Output on stdout: a JSON array, per diagram
 * `{ ok: true, type }` or `{ ok: false, error }`.
 */
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = window;
globalThis.document = window.document;
// DOMPurify and mermaid look these up as globals, as in a browser.
for (const name of ['Element', 'HTMLElement', 'Node', 'DocumentFragment', 'DOMParser', 'NodeFilter']) {
  globalThis[name] ??= window[name];
}

const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const parsed = await mermaid.parse(text);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
