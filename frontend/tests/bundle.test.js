// Smoke test of the *built* bundle (channels_app/static/support/support-form.js):
// loads it as a classic <script> in a fresh jsdom window, as a host page would.
// Skipped when the bundle has not been built.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundleDir = path.resolve(here, '../../channels_app/static/support');
const bundleJs = path.join(bundleDir, 'support-form.js');

async function until(check, timeoutMs = 3000) {
  const start = Date.now();
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!existsSync(bundleJs))('built bundle', () => {
  it('auto-mounts on #fte-support-root and exposes window.FTESupportForm', async () => {
    const dom = new JSDOM(
      `<!doctype html><html><head></head><body>
        <div id="fte-support-root" data-api-base="/api" data-theme='{"mode":"dark"}'></div>
      </body></html>`,
      { runScripts: 'dangerously', url: 'https://shop.example.com/' },
    );
    const { window } = dom;
    const script = window.document.createElement('script');
    script.textContent = readFileSync(bundleJs, 'utf8');
    window.document.body.appendChild(script);

    expect(typeof window.FTESupportForm?.mount).toBe('function');
    const root = window.document.getElementById('fte-support-root');
    const form = await until(() => root.querySelector('.fte-sf--dark form'));
    expect(form.querySelectorAll('input, select, textarea')).toHaveLength(7);
    expect(root.textContent).toContain('Send request');

    const other = window.document.createElement('div');
    window.document.body.appendChild(other);
    const handle = window.FTESupportForm.mount(other, { theme: { primaryColor: '#ff0000' } });
    const mounted = await until(() => other.querySelector('.fte-sf'));
    expect(mounted.style.getPropertyValue('--fte-primary')).toBe('#ff0000');
    handle.unmount();
    window.close();
  });

  it('adds the sibling stylesheet when loaded via <script src>', async () => {
    const pageUrl = new URL('host-page.html', `file://${bundleDir}/`).href;
    const dom = new JSDOM(
      `<!doctype html><html><head></head><body>
        <div id="fte-support-root"></div>
        <script src="support-form.js"></script>
      </body></html>`,
      { runScripts: 'dangerously', resources: 'usable', url: pageUrl },
    );
    const { window } = dom;
    await until(() => window.FTESupportForm);
    const link = window.document.querySelector('link[rel="stylesheet"][data-fte-support-form]');
    expect(link).not.toBeNull();
    expect(link.getAttribute('href')).toBe(new URL('support-form.css', pageUrl).href);
    await until(() => window.document.querySelector('#fte-support-root .fte-sf--light form'));
    window.close();
  });

  it('ships a stylesheet with the scoped classes', () => {
    const css = readFileSync(path.join(bundleDir, 'support-form.css'), 'utf8');
    expect(css).toContain('.fte-sf');
    expect(css).toContain('white-space:pre-wrap');
  });
});
