// Dev-only in-memory mock of the support API (used by `FTE_MOCK_API=1 npm run dev`).
// Never part of the production bundle.

function send(res, status, body, headers = {}) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.end(JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve) => {
    let data = '';
    req.on('data', (chunk) => {
      data += chunk;
    });
    req.on('end', () => resolve(data));
  });
}

export function mockSupportApi() {
  const tickets = new Map();
  let counter = 0;
  return {
    name: 'fte-mock-support-api',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const url = new URL(req.url, 'http://localhost');
        if (req.method === 'POST' && url.pathname === '/support/submit') {
          let body = {};
          try {
            body = JSON.parse((await readBody(req)) || '{}');
          } catch {
            return send(res, 400, { detail: 'Invalid JSON.', fields: {} });
          }
          if (String(body.email || '').endsWith('@invalid.test')) {
            return send(res, 400, {
              detail: 'Some fields need attention.',
              fields: { email: ['Enter a valid email address.'] },
            });
          }
          if (String(body.subject || '').toLowerCase().includes('throttle')) {
            return send(res, 429, { detail: 'Request was throttled.' }, { 'Retry-After': '30' });
          }
          counter += 1;
          const id = `TKT-${String(counter).padStart(6, '0')}`;
          tickets.set(id, { body, createdAt: Date.now() });
          return send(res, 201, { ticket_id: id });
        }
        const match = url.pathname.match(/^\/support\/ticket\/([^/]+)$/);
        if (req.method === 'GET' && match) {
          const id = decodeURIComponent(match[1]);
          const t = tickets.get(id);
          if (!t) return send(res, 404, { detail: 'Not found.' });
          const age = Date.now() - t.createdAt;
          const messages = [
            {
              author: 'customer',
              channel: 'web_form',
              content: t.body.message,
              created_at: new Date(t.createdAt).toISOString(),
            },
          ];
          let status = age < 4000 ? 'open' : 'in_progress';
          if (age >= 8000) {
            status = 'resolved';
            messages.push({
              author: 'agent',
              channel: 'web_form',
              content: `Hi ${t.body.name},\n\nThanks for reaching out about "${t.body.subject}".\nThis is a mock reply from the dev server. <b>HTML stays literal.</b>`,
              created_at: new Date(t.createdAt + 8000).toISOString(),
            });
          }
          return send(res, 200, { ticket_id: id, status, messages });
        }
        return next();
      });
    },
  };
}
