import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it } from 'vitest';
import SupportForm from '../SupportForm.jsx';
import { fillForm, jsonResponse, stubFetch } from './helpers.js';

const TICKET = 'TKT-7F3K2Q9X';
const TOKEN = 'eyJyIjoiVEtULTdGM0syUTlYIn0:1u2v3w:abc-DEF_123';

const customer = { id: 1, author: 'customer', channel: 'web_form', content: 'How do I export?', created_at: '2025-01-15T10:00:00Z' };
const ai = {
  id: 2,
  author: 'agent',
  channel: 'web_form',
  content: 'Open Reports and choose Export.',
  created_at: '2025-01-15T10:01:00Z',
  feedback: null,
};
const staff = { id: 3, author: 'staff', channel: 'web_form', content: 'I fixed the export for you.', created_at: '2025-01-15T11:00:00Z' };

function body(status, messages, label) {
  return { ticket_id: TICKET, status, status_label: label, subject: 'Export', messages };
}

afterEach(() => {
  window.history.replaceState(null, '', '/');
});

describe('A ticket opened from its link', () => {
  it('loads with the token, speaks the customer’s words and shows staff replies without a reload', async () => {
    let polls = 0;
    const fetchMock = stubFetch(() => {
      polls += 1;
      if (polls < 3) return jsonResponse(200, body('escalated', [customer, { ...ai, feedback: false }], 'With our support team'));
      return jsonResponse(200, body('pending', [customer, { ...ai, feedback: false }, staff], 'Waiting for your reply'));
    });
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: TOKEN }} pollIntervalMs={250} />);

    expect(await screen.findByRole('heading', { name: `Your request ${TICKET}` })).toBeInTheDocument();
    expect(fetchMock.mock.calls[0][0]).toBe(`/support/ticket/${TICKET}?token=${encodeURIComponent(TOKEN)}`);
    expect(await screen.findByText('With our support team')).toBeInTheDocument();
    expect(screen.getByText(/a person from our support team has your request/i)).toBeInTheDocument();

    // The page keeps polling while the ticket is open: the staff reply appears by itself.
    expect(await screen.findByText('I fixed the export for you.', {}, { timeout: 5000 })).toBeInTheDocument();
    expect(screen.getByText('Waiting for your reply')).toBeInTheDocument();
    expect(screen.getByText('Support team')).toBeInTheDocument();
    // Feedback already given: no buttons.
    expect(screen.queryByRole('button', { name: 'This solved it' })).not.toBeInTheDocument();
  });

  it('backs off while nothing changes and stops once the ticket is solved', async () => {
    let polls = 0;
    const times = [];
    const fetchMock = stubFetch(() => {
      polls += 1;
      times.push(Date.now());
      if (polls < 5) return jsonResponse(200, body('escalated', [customer, ai], 'With our support team'));
      return jsonResponse(200, body('resolved', [customer, ai], 'Solved'));
    });
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: TOKEN }} pollIntervalMs={250} />);
    expect(await screen.findByText('Solved', {}, { timeout: 8000 })).toBeInTheDocument();
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    // Unchanged answers: each wait longer than the one before (x1.5).
    expect(gaps[2]).toBeGreaterThan(gaps[1]);
    expect(gaps[3]).toBeGreaterThan(gaps[2]);
    const count = fetchMock.mock.calls.length;
    await new Promise((r) => setTimeout(r, 900));
    expect(fetchMock.mock.calls.length).toBe(count);
  });

  it('asks whether the AI answer helped and sends "didn’t help" with the answer’s id', async () => {
    let escalated = false;
    const fetchMock = stubFetch((url, init) => {
      if (url.includes('/feedback')) {
        escalated = true;
        return jsonResponse(200, body('escalated', [customer, { ...ai, feedback: false }], 'With our support team'));
      }
      return jsonResponse(
        200,
        escalated
          ? body('escalated', [customer, { ...ai, feedback: false }], 'With our support team')
          : body('in_progress', [customer, ai], 'In progress'),
      );
    });
    const user = userEvent.setup();
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: TOKEN }} pollIntervalMs={10000} />);

    const group = await screen.findByRole('group', { name: 'Did this answer help?' });
    // Under the AI's answer.
    expect(group.closest('li')).toHaveTextContent('Open Reports and choose Export.');
    await user.click(within(group).getByRole('button', { name: 'This didn’t help' }));

    const call = fetchMock.mock.calls.find(([u]) => u.includes('/feedback'));
    expect(call[0]).toBe(`/support/ticket/${TICKET}/feedback?token=${encodeURIComponent(TOKEN)}`);
    expect(call[1].method).toBe('POST');
    expect(JSON.parse(call[1].body)).toEqual({ helped: false, message_id: 2 });
    expect(await screen.findByText(/a person from our support team now has your request/i)).toBeInTheDocument();
    expect(screen.getByText('With our support team')).toBeInTheDocument();
    expect(screen.queryByRole('group', { name: 'Did this answer help?' })).not.toBeInTheDocument();
  });

  it('asks on a ticket the AI already marked solved, since the customer has not confirmed it', async () => {
    stubFetch(() => jsonResponse(200, body('resolved', [customer, ai], 'Solved')));
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: TOKEN }} pollIntervalMs={10000} />);
    expect(await screen.findByRole('button', { name: 'This didn’t help' })).toBeInTheDocument();
  });

  it('"This solved it" marks the request solved', async () => {
    stubFetch((url) =>
      url.includes('/feedback')
        ? jsonResponse(200, body('resolved', [customer, { ...ai, feedback: true }], 'Solved'))
        : jsonResponse(200, body('in_progress', [customer, ai], 'In progress')),
    );
    const user = userEvent.setup();
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: TOKEN }} pollIntervalMs={10000} />);
    await user.click(await screen.findByRole('button', { name: 'This solved it' }));
    expect(await screen.findByText(/marked your request as solved/i)).toBeInTheDocument();
    expect(screen.getByText('Solved')).toBeInTheDocument();
  });

  it('an expired link offers to email a new one', async () => {
    const fetchMock = stubFetch((url) =>
      url.endsWith('/support/lookup')
        ? jsonResponse(202, { detail: 'If this address has open requests, we have emailed links to them.' })
        : jsonResponse(403, { detail: 'This link has expired. Use "Find my request" to get a new link by email.' }),
    );
    const user = userEvent.setup();
    render(<SupportForm initialTicket={{ ticketId: TICKET, token: 'old' }} pollIntervalMs={250} />);

    expect(await screen.findByText(/this link has expired/i)).toBeInTheDocument();
    await user.type(screen.getByLabelText('Your email address'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Email me the links' }));
    expect(await screen.findByText(/we have emailed links to them/i)).toBeInTheDocument();
    const [url, init] = fetchMock.mock.calls.at(-1);
    expect(url).toBe('/support/lookup');
    expect(JSON.parse(init.body)).toEqual({ email: 'ada@example.com' });
  });
});

describe('Find my request and the address bar', () => {
  it('the form page offers "Find my request"', async () => {
    stubFetch(() => jsonResponse(429, { detail: 'Too many' }, { 'Retry-After': '30' }));
    const user = userEvent.setup();
    render(<SupportForm />);
    await user.click(screen.getByText('Find my request'));
    await user.type(screen.getByLabelText('Your email address'), 'ada@example.com');
    await user.click(screen.getByRole('button', { name: 'Email me the links' }));
    expect(await screen.findByText('Too many requests. Please try again in 30 seconds.')).toBeInTheDocument();
  });

  it('with syncUrl, a submitted ticket’s link replaces the address so a reload opens it again', async () => {
    stubFetch((url) =>
      url.endsWith('/support/submit')
        ? jsonResponse(201, { ticket_id: TICKET, token: TOKEN })
        : jsonResponse(200, body('open', [customer], 'Received')),
    );
    const user = userEvent.setup();
    render(<SupportForm syncUrl pollIntervalMs={10000} />);
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    await screen.findByText(TICKET);
    const query = new URLSearchParams(window.location.search);
    expect(query.get('ticket')).toBe(TICKET);
    expect(query.get('token')).toBe(TOKEN);

    await user.click(screen.getByRole('button', { name: /send another request/i }));
    await waitFor(() => expect(window.location.search).toBe(''));
  });
});
