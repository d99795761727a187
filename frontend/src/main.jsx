// Bundle entry: exposes window.FTESupportForm and auto-mounts on #fte-support-root.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import SupportForm from '../SupportForm.jsx';

const ROOT_ID = 'fte-support-root';
const STYLESHEET_NAME = 'support-form.css';

const roots = new WeakMap();

// URL of this script, captured at evaluation time (document.currentScript is
// only set while a classic script runs). Used to find the sibling stylesheet.
const scriptSrc =
  typeof document !== 'undefined' && document.currentScript && document.currentScript.src
    ? document.currentScript.src
    : '';

/** Add <link rel="stylesheet" href=".../support-form.css"> next to this script, unless present. */
function ensureStylesheet() {
  if (!scriptSrc || typeof document === 'undefined') return;
  const links = document.querySelectorAll('link[rel="stylesheet"]');
  for (const link of links) {
    if ((link.getAttribute('href') || '').includes(STYLESHEET_NAME)) return;
  }
  let href;
  try {
    href = new URL(STYLESHEET_NAME, scriptSrc).href;
  } catch {
    return;
  }
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = href;
  link.setAttribute('data-fte-support-form', '');
  document.head.appendChild(link);
}

function resolveElement(element) {
  if (typeof element === 'string') return document.querySelector(element);
  return element || null;
}

function render(root, props) {
  root.render(
    <StrictMode>
      <SupportForm {...props} />
    </StrictMode>,
  );
}

/**
 * Mount the support form into `element` (a DOM element or CSS selector).
 * Returns { update(props), unmount() }. Mounting twice into the same element
 * re-renders the existing root with the new props.
 */
function mount(element, props = {}) {
  const el = resolveElement(element);
  if (!el) throw new Error('FTESupportForm.mount: element not found');
  ensureStylesheet();
  let root = roots.get(el);
  if (!root) {
    root = createRoot(el);
    roots.set(el, root);
  }
  let current = { ...props };
  render(root, current);
  return {
    update(next = {}) {
      current = { ...current, ...next };
      render(root, current);
    },
    unmount() {
      unmount(el);
    },
  };
}

function unmount(element) {
  const el = resolveElement(element);
  const root = el && roots.get(el);
  if (root) {
    root.unmount();
    roots.delete(el);
  }
}

function parseTheme(raw) {
  if (!raw) return {};
  try {
    const value = JSON.parse(raw);
    return value && typeof value === 'object' ? value : {};
  } catch {
    if (typeof console !== 'undefined') console.warn('FTESupportForm: data-theme is not valid JSON');
    return {};
  }
}

function autoMount() {
  const el = document.getElementById(ROOT_ID);
  if (!el || roots.has(el)) return null;
  const props = {
    apiBase: el.dataset.apiBase || '',
    theme: parseTheme(el.dataset.theme),
  };
  const interval = Number.parseInt(el.dataset.pollIntervalMs || '', 10);
  if (Number.isFinite(interval) && interval > 0) props.pollIntervalMs = interval;
  const maxInterval = Number.parseInt(el.dataset.maxPollIntervalMs || '', 10);
  if (Number.isFinite(maxInterval) && maxInterval > 0) props.maxPollIntervalMs = maxInterval;
  // data-sync-url="true" (our own /support/ page): the page's address is the ticket's
  // link, ?ticket=REF&token=…, so a link from an email or a reload opens the ticket.
  if (el.dataset.syncUrl === 'true') {
    props.syncUrl = true;
    const query = new URLSearchParams(window.location.search);
    const ticketId = query.get('ticket');
    if (ticketId) props.initialTicket = { ticketId, token: query.get('token') || '' };
  }
  return mount(el, props);
}

if (typeof document !== 'undefined') {
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', autoMount, { once: true });
  } else {
    autoMount();
  }
}

if (typeof window !== 'undefined') {
  window.FTESupportForm = { mount, unmount, autoMount };
}
