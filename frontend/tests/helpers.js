import { vi } from 'vitest';

/** A minimal fetch Response stand-in (the browser boundary is mocked in tests). */
export function jsonResponse(status, body, headers = {}) {
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: new Headers(headers),
    json: async () => {
      if (body === undefined) throw new SyntaxError('Unexpected end of JSON input');
      return JSON.parse(JSON.stringify(body));
    },
  };
}

/**
 * Install a global fetch stub. `routes` is a function (url, init) => response
 * (or a Promise of one). Returns the vi.fn so tests can inspect calls.
 */
export function stubFetch(routes) {
  const fn = vi.fn(async (url, init = {}) => routes(String(url), init));
  vi.stubGlobal('fetch', fn);
  return fn;
}

export function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const VALID = {
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  subject: 'Cannot export my report',
  message: 'The export button spins forever since yesterday.',
};

/** Fill the required fields (and optional extras) through the UI. */
export async function fillForm(user, screen, values = {}) {
  const v = { ...VALID, ...values };
  if (v.name) await user.type(screen.getByLabelText(/^name/i), v.name);
  if (v.email) await user.type(screen.getByLabelText(/^email/i), v.email);
  if (v.phone) await user.type(screen.getByLabelText(/^phone/i), v.phone);
  if (v.subject) await user.type(screen.getByLabelText(/^subject/i), v.subject);
  if (v.category) await user.selectOptions(screen.getByLabelText(/^category/i), v.category);
  if (v.priority) await user.selectOptions(screen.getByLabelText(/^priority/i), v.priority);
  if (v.message) await user.type(screen.getByLabelText(/how can we help/i), v.message);
}

export function ticketUrlMatches(url, ticketId) {
  return url.endsWith(`/support/ticket/${encodeURIComponent(ticketId)}`);
}
