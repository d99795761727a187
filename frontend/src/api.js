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
 *   { ok: true, ticketId }
 *   { ok: false, kind: 'validation', detail, fields }
 *   { ok: false, kind: 'rate_limited', detail, retryAfter }
 *   { ok: false, kind: 'error', status, detail }   (network error: status 0)
 */
export async function submitTicket(apiBase, payload, { signal } = {}) {
  let response;
  try {
    response = await fetch(joinUrl(apiBase, '/support/submit'), {
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
  if (response.status === 201 || (response.ok && body && body.ticket_id)) {
    if (body && typeof body.ticket_id === 'string' && body.ticket_id) {
      return { ok: true, ticketId: body.ticket_id };
    }
    return { ok: false, kind: 'error', status: response.status, detail: null };
  }
  const detail = body && typeof body.detail === 'string' ? body.detail : null;
  if (response.status === 400) {
    const fields = body && body.fields && typeof body.fields === 'object' ? body.fields : {};
    return { ok: false, kind: 'validation', detail, fields };
  }
  if (response.status === 429) {
    const retryAfter = parseRetryAfter(response.headers.get('Retry-After'));
    return { ok: false, kind: 'rate_limited', detail, retryAfter };
  }
  return { ok: false, kind: 'error', status: response.status, detail };
}

/**
 * GET {apiBase}/support/ticket/{ticketId}.
 * Resolves to { ok: true, ticket } or { ok: false, status }.
 */
export async function fetchTicket(apiBase, ticketId, { signal } = {}) {
  let response;
  try {
    response = await fetch(joinUrl(apiBase, `/support/ticket/${encodeURIComponent(ticketId)}`), {
      method: 'GET',
      headers: { Accept: 'application/json' },
      signal,
    });
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    return { ok: false, status: 0 };
  }
  if (!response.ok) return { ok: false, status: response.status };
  const body = await readJson(response);
  if (!body || typeof body !== 'object') return { ok: false, status: response.status };
  return {
    ok: true,
    ticket: {
      ticketId: typeof body.ticket_id === 'string' ? body.ticket_id : ticketId,
      status: typeof body.status === 'string' ? body.status : 'open',
      messages: Array.isArray(body.messages) ? body.messages.filter((m) => m && typeof m === 'object') : [],
    },
  };
}

export function hasReply(messages) {
  return messages.some((m) => m.author === 'agent' || m.author === 'staff');
}
