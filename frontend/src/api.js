// Thin fetch wrappers for the support API. All functions resolve to plain
// result objects instead of throwing for HTTP errors, so the UI can map them.

function joinUrl(apiBase, path) {
  const base = String(apiBase || '').replace(/\/+$/, '');
  return `${base}${path}`;
}

async function readJson(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * Parse a Retry-After header (delta-seconds or HTTP-date) into whole seconds.
 * Returns null when absent or unparseable.
 */
export function parseRetryAfter(header, now = Date.now()) {
  if (header == null) return null;
  const value = String(header).trim();
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number.parseInt(value, 10);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * POST {apiBase}/support/submit.
 * Resolves to one of:
 *   { ok: true, ticketId, token }
 *   { ok: false, kind: 'validation', detail, fields }
 *   { ok: false, kind: 'rate_limited', detail, retryAfter }
 *   { ok: false, kind: 'error', status, detail }   (network error: status 0)
 */
export async function submitTicket(apiBase, payload, { signal } = {}) {
  return postJson(apiBase, '/support/submit', payload, { signal, created: true });
}

async function postJson(apiBase, path, payload, { signal, created = false } = {}) {
  let response;
  try {
    response = await fetch(joinUrl(apiBase, path), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(payload),
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    return { ok: false, kind: 'error', status: 0, detail: null };
  }
  const body = await readJson(response);
  if (created && (response.status === 201 || (response.ok && body && body.ticket_id))) {
    if (body && typeof body.ticket_id === 'string' && body.ticket_id) {
      return { ok: true, ticketId: body.ticket_id, token: typeof body.token === 'string' ? body.token : '' };
    }
    return { ok: false, kind: 'error', status: response.status, detail: null };
  }
  const detail = body && typeof body.detail === 'string' ? body.detail : null;
  if (!created && response.ok) return { ok: true, status: response.status, body, detail };
  if (response.status === 400) {
    const fields = body && body.fields && typeof body.fields === 'object' ? body.fields : {};
    return { ok: false, kind: 'validation', detail, fields };
  }
  if (response.status === 429) {
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
    return { ok: false, kind: 'rate_limited', detail, retryAfter };
  }
  if (response.status === 403) return { ok: false, kind: 'denied', status: 403, detail };
  return { ok: false, kind: 'error', status: response.status, detail };
}

function ticketPath(ticketId, token, suffix = '') {
  const query = token ? `?token=${encodeURIComponent(token)}` : '';
  return `/support/ticket/${encodeURIComponent(ticketId)}${suffix}${query}`;
}

/** The ticket as the page uses it, from the API's JSON (tolerant of missing fields). */
export function parseTicket(body, ticketId) {
  return {
    ticketId: typeof body.ticket_id === 'string' ? body.ticket_id : ticketId,
    status: typeof body.status === 'string' ? body.status : 'open',
    statusLabel: typeof body.status_label === 'string' ? body.status_label : '',
    subject: typeof body.subject === 'string' ? body.subject : '',
    messages: Array.isArray(body.messages) ? body.messages.filter((m) => m && typeof m === 'object') : [],
  };
}

/**
 * GET {apiBase}/support/ticket/{ticketId}?token=….
 * Resolves to { ok: true, ticket } or { ok: false, status, detail }.
 */
export async function fetchTicket(apiBase, ticketId, { signal, token } = {}) {
  let response;
  try {
    response = await fetch(joinUrl(apiBase, ticketPath(ticketId, token)), {
      method: 'GET',
      headers: { Accept: 'application/json' },
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    return { ok: false, status: 0 };
  }
  const body = await readJson(response);
  if (!response.ok) {
    return { ok: false, status: response.status, detail: body && typeof body.detail === 'string' ? body.detail : null };
  }
  if (!body || typeof body !== 'object') return { ok: false, status: response.status };
  return { ok: true, ticket: parseTicket(body, ticketId) };
}

/**
 * POST {apiBase}/support/ticket/{ticketId}/feedback?token=… with { helped, message_id }.
 * Resolves to { ok: true, ticket } or an error result like submitTicket's.
 */
export async function sendFeedback(apiBase, ticketId, token, { helped, messageId }, { signal } = {}) {
  const payload = { helped: Boolean(helped) };
  if (messageId != null) payload.message_id = messageId;
  const result = await postJson(apiBase, ticketPath(ticketId, token, '/feedback'), payload, { signal });
  if (result.ok) return { ok: true, ticket: parseTicket(result.body || {}, ticketId) };
  return result;
}

/**
 * POST {apiBase}/support/lookup with { email }: the server emails links to the
 * address's open tickets and answers the same whether there are any or not.
 * Resolves to { ok: true, detail } or an error result like submitTicket's.
 */
export async function lookupRequests(apiBase, email, { signal } = {}) {
  const result = await postJson(apiBase, '/support/lookup', { email: String(email || '').trim() }, { signal });
  if (result.ok) return { ok: true, detail: result.detail };
  return result;
}

export function hasReply(messages) {
  return messages.some((m) => m.author === 'agent' || m.author === 'staff');
}
