import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import SupportForm from '../SupportForm.jsx';
import { VALID, deferred, fillForm, jsonResponse, stubFetch } from './helpers.js';

const TICKET = 'TKT-7F3K2Q';

function ticketBody(status, messages) {
  return { ticket_id: TICKET, status, messages };
}

const customerMsg = {
  author: 'customer',
  channel: 'web_form',
  content: VALID.message,
  created_at: '2025-01-15T10:00:00Z',
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('SupportForm — client-side validation', () => {
  it('shows accessible per-field errors and makes no request when fields are missing', async () => {
    const fetchMock = stubFetch(() => jsonResponse(201, { ticket_id: TICKET }));
    const user = userEvent.setup();
    render(<SupportForm />);

    await user.click(screen.getByRole('button', { name: /send request/i }));

    expect(fetchMock).not.toHaveBeenCalled();

    const name = screen.getByLabelText(/^name/i);
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(name).toHaveAccessibleDescription('Please enter your name.');
    expect(screen.getByLabelText(/^email/i)).toHaveAccessibleDescription('Please enter your email address.');
    expect(screen.getByLabelText(/^subject/i)).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByLabelText(/how can we help/i)).toHaveAttribute('aria-invalid', 'true');
    // Optional field and selects are fine.
    expect(screen.getByLabelText(/^phone/i)).toHaveAttribute('aria-invalid', 'false');
    expect(screen.getByLabelText(/^category/i)).toHaveAttribute('aria-invalid', 'false');

    const alerts = screen.getAllByRole('alert').map((a) => a.textContent);
    expect(alerts).toEqual(
      expect.arrayContaining([
        'Please enter your name.',
        'Please enter your email address.',
        'Please enter a subject.',
        'Please describe your request.',
      ]),
    );
    // Focus moves to the first invalid field.
    expect(name).toHaveFocus();
  });

  it('validates email format, lengths and phone format', async () => {
    const fetchMock = stubFetch(() => jsonResponse(201, { ticket_id: TICKET }));
    const user = userEvent.setup();
    render(<SupportForm />);

    await fillForm(user, screen, {
      email: 'not-an-email',
      subject: 'Hi',
      message: 'Too short',
      phone: '12-34',
    });
    await user.click(screen.getByRole('button', { name: /send request/i }));

    expect(fetchMock).not.toHaveBeenCalled();
    expect(screen.getByLabelText(/^email/i)).toHaveAccessibleDescription('Enter a valid email address.');
    expect(screen.getByText('Subject must be at least 3 characters.')).toHaveAttribute('role', 'alert');
    expect(screen.getByText('Message must be at least 10 characters.')).toBeInTheDocument();
    const phone = screen.getByLabelText(/^phone/i);
    expect(phone).toHaveAttribute('aria-invalid', 'true');
    expect(phone.getAttribute('aria-describedby')).toMatch(/phone-hint/);
    expect(screen.getByText(/enter an international phone number/i)).toHaveAttribute('role', 'alert');
  });

  it('clears an error live once the field is corrected after a submit attempt', async () => {
    stubFetch(() => jsonResponse(201, { ticket_id: TICKET }));
    const user = userEvent.setup();
    render(<SupportForm />);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    expect(screen.getByText('Please enter your name.')).toBeInTheDocument();
    await user.type(screen.getByLabelText(/^name/i), 'A');
    expect(screen.queryByText('Please enter your name.')).not.toBeInTheDocument();
    expect(screen.getByLabelText(/^name/i)).toHaveAttribute('aria-invalid', 'false');
  });

  it('shows a live character counter for the message', async () => {
    const user = userEvent.setup();
    render(<SupportForm />);
    const message = screen.getByLabelText(/how can we help/i);
    expect(screen.getByText(/^0 \/ 5000/)).toBeInTheDocument();
    await user.type(message, 'Hello');
    expect(screen.getByText(/^5 \/ 5000/)).toBeInTheDocument();
    expect(message.getAttribute('aria-describedby')).toMatch(/message-counter/);
  });

  it('offers human-friendly categories and priorities with sensible defaults', () => {
    render(<SupportForm />);
    const category = screen.getByLabelText(/^category/i);
    expect(category).toHaveValue('general');
    expect(within(category).getAllByRole('option').map((o) => o.value)).toEqual([
      'general',
      'technical',
      'billing',
      'account',
      'integrations',
      'bug',
    ]);
    expect(within(category).getByRole('option', { name: 'Billing & payments' })).toBeInTheDocument();
    const priority = screen.getByLabelText(/^priority/i);
    expect(priority).toHaveValue('medium');
    expect(within(priority).getAllByRole('option').map((o) => o.value)).toEqual(['low', 'medium', 'high']);
  });
});

describe('SupportForm — submitting', () => {
  it('posts JSON, shows the sending state, then the ticket id', async () => {
    const pending = deferred();
    const fetchMock = stubFetch((url) => {
      if (url.endsWith('/support/submit')) return pending.promise;
      return jsonResponse(200, ticketBody('open', [customerMsg]));
    });
    const onSubmitted = vi.fn();
    const user = userEvent.setup();
    render(<SupportForm apiBase="https://support.example.com/" onSubmitted={onSubmitted} />);

    await fillForm(user, screen, { category: 'billing', priority: 'high', phone: '+44 (20) 7946-0958' });
    await user.click(screen.getByRole('button', { name: /send request/i }));

    const sending = screen.getByRole('button', { name: 'Sending…' });
    expect(sending).toBeDisabled();

    expect(fetchMock).toHaveBeenCalledTimes(1);
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe('https://support.example.com/support/submit');
    expect(init.method).toBe('POST');
    expect(init.headers).toMatchObject({ Accept: 'application/json', 'Content-Type': 'application/json' });
    expect(JSON.parse(init.body)).toEqual({
      name: VALID.name,
      email: VALID.email,
      subject: VALID.subject,
      category: 'billing',
      priority: 'high',
      message: VALID.message,
      phone: '+44 (20) 7946-0958',
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    });

    pending.resolve(jsonResponse(201, { ticket_id: TICKET }));

    const heading = await screen.findByRole('heading', { name: `Your ticket ${TICKET} has been received` });
    // Focus moves in an effect after the success view renders; wait for it rather than race it.
    await waitFor(() => expect(heading).toHaveFocus());
    expect(onSubmitted).toHaveBeenCalledWith(TICKET);
    expect(screen.getByText(TICKET)).toHaveClass('fte-sf-ticket-id');
  });

  it('omits phone when empty and uses same-origin URLs by default', async () => {
    const fetchMock = stubFetch((url) =>
      url === '/support/submit'
        ? jsonResponse(201, { ticket_id: TICKET })
        : jsonResponse(200, ticketBody('open', [customerMsg])),
    );
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={10000} />);
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    await screen.findByText(TICKET);
    const body = JSON.parse(fetchMock.mock.calls[0][1].body);
    expect(body).not.toHaveProperty('phone');
    expect(body).toMatchObject({ category: 'general', priority: 'medium' });
    await waitFor(() => expect(fetchMock).toHaveBeenCalledTimes(2));
    expect(fetchMock.mock.calls[1][0]).toBe(`/support/ticket/${TICKET}`);
    expect(fetchMock.mock.calls[1][1].headers).toMatchObject({ Accept: 'application/json' });
  });

  it('maps server 400 field errors onto the fields', async () => {
    const fetchMock = stubFetch(() =>
      jsonResponse(400, {
        detail: 'Some fields need attention.',
        fields: { email: ['Enter a valid email address.'], subject: ['Subject is too vague.'] },
      }),
    );
    const user = userEvent.setup();
    render(<SupportForm />);
    await fillForm(user, screen, { email: 'ada@example.invalid' });
    await user.click(screen.getByRole('button', { name: /send request/i }));

    const email = screen.getByLabelText(/^email/i);
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription('Enter a valid email address.');
    expect(screen.getByLabelText(/^subject/i)).toHaveAccessibleDescription('Subject is too vague.');
    expect(screen.getByText('Some fields need attention.')).toBeInTheDocument();
    expect(email).toHaveFocus();
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: /send request/i })).toBeEnabled();

    // Editing the field clears its server error.
    await user.type(email, 'x');
    expect(email).toHaveAttribute('aria-invalid', 'false');
    expect(screen.queryByText('Enter a valid email address.')).not.toBeInTheDocument();
  });

  it('shows a friendly rate-limit message with the Retry-After seconds', async () => {
    stubFetch(() => jsonResponse(429, { detail: 'Request was throttled.' }, { 'Retry-After': '42' }));
    const user = userEvent.setup();
    render(<SupportForm />);
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));

    const alert = await screen.findByText('Too many requests. Please try again in 42 seconds.');
    expect(alert.closest('[role="alert"]')).not.toBeNull();
    expect(screen.getByRole('button', { name: /send request/i })).toBeEnabled();
  });

  it('shows a generic error with a working retry on other failures', async () => {
    let calls = 0;
    const fetchMock = stubFetch((url) => {
      if (url.endsWith('/support/submit')) {
        calls += 1;
        return calls === 1 ? jsonResponse(500, undefined) : jsonResponse(201, { ticket_id: TICKET });
      }
      return jsonResponse(200, ticketBody('open', [customerMsg]));
    });
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={10000} />);
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));

    expect(await screen.findByText(/something went wrong/i)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: /try again/i }));
    expect(await screen.findByText(TICKET)).toBeInTheDocument();
    expect(fetchMock.mock.calls.filter(([u]) => u.endsWith('/support/submit'))).toHaveLength(2);
  });

  it('reports network failures', async () => {
    stubFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const user = userEvent.setup();
    render(<SupportForm />);
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    expect(await screen.findByText(/couldn.t reach the support service/i)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /try again/i })).toBeInTheDocument();
  });
});

describe('SupportForm — success view and polling', () => {
  async function submitValid(user) {
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    await screen.findByText(TICKET);
  }

  it('polls until an agent reply arrives, shows it and stops polling', async () => {
    const replies = [
      ticketBody('open', [customerMsg]),
      ticketBody('in_progress', [customerMsg]),
      ticketBody('resolved', [
        customerMsg,
        {
          author: 'agent',
          channel: 'web_form',
          content: 'Hi Ada,\nplease clear your cache and retry.',
          created_at: '2025-01-15T10:01:00Z',
        },
      ]),
    ];
    let polls = 0;
    const fetchMock = stubFetch((url) => {
      if (url.endsWith('/support/submit')) return jsonResponse(201, { ticket_id: TICKET });
      const body = replies[Math.min(polls, replies.length - 1)];
      polls += 1;
      return jsonResponse(200, body);
    });
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={300} />);
    await submitValid(user);

    expect(screen.getByText('We’re preparing your answer…')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByText('In progress')).toBeInTheDocument(), { timeout: 2000 });
    expect(screen.getByText('We’re preparing your answer…')).toBeInTheDocument();

    const reply = await screen.findByText(/please clear your cache/, {}, { timeout: 3000 });
    expect(reply.textContent).toBe('Hi Ada,\nplease clear your cache and retry.');
    expect(reply).toHaveClass('fte-sf-msg-body');
    expect(screen.getByText('Solved')).toBeInTheDocument(); // the customer's word for "resolved"
    expect(screen.getByText('Support assistant')).toBeInTheDocument();
    expect(screen.queryByText('We’re preparing your answer…')).not.toBeInTheDocument();
    // Customer's own message is part of the conversation.
    expect(screen.getByText(VALID.message)).toBeInTheDocument();

    const count = fetchMock.mock.calls.length;
    expect(polls).toBe(3);
    await sleep(900);
    expect(fetchMock.mock.calls.length).toBe(count);
  });

  it('renders HTML in a reply as literal text', async () => {
    const evil = '<img src=x onerror="alert(1)"><b>bold</b> <script>alert(2)</script>';
    stubFetch((url) => {
      if (url.endsWith('/support/submit')) return jsonResponse(201, { ticket_id: TICKET });
      return jsonResponse(
        200,
        ticketBody('in_progress', [
          customerMsg,
          { author: 'staff', channel: 'email', content: evil, created_at: '2025-01-15T10:05:00Z' },
        ]),
      );
    });
    const user = userEvent.setup();
    const { container } = render(<SupportForm pollIntervalMs={300} />);
    await submitValid(user);

    const reply = await screen.findByText(evil);
    expect(reply.textContent).toBe(evil);
    expect(reply.children).toHaveLength(0);
    expect(container.querySelector('.fte-sf-conversation img')).toBeNull();
    expect(container.querySelector('.fte-sf-conversation b')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect(screen.getByText('Support team')).toBeInTheDocument();
    // A staff reply also stops the polling.
    expect(screen.queryByText('We’re preparing your answer…')).not.toBeInTheDocument();
  });

  it('gives up polling after the maximum wait and says so', async () => {
    const fetchMock = stubFetch((url) => {
      if (url.endsWith('/support/submit')) return jsonResponse(201, { ticket_id: TICKET });
      return jsonResponse(200, ticketBody('open', [customerMsg]));
    });
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={300} maxPollMs={700} />);
    await submitValid(user);
    expect(await screen.findByText(/taking a little longer than usual/i, {}, { timeout: 3000 })).toBeInTheDocument();
    const count = fetchMock.mock.calls.length;
    expect(count).toBeGreaterThanOrEqual(2);
    expect(count).toBeLessThanOrEqual(4);
    await sleep(700);
    expect(fetchMock.mock.calls.length).toBe(count);
  });

  it('keeps polling through transient errors', async () => {
    let polls = 0;
    stubFetch((url) => {
      if (url.endsWith('/support/submit')) return jsonResponse(201, { ticket_id: TICKET });
      polls += 1;
      if (polls === 1) return jsonResponse(503, undefined);
      return jsonResponse(
        200,
        ticketBody('resolved', [
          customerMsg,
          { author: 'agent', channel: 'web_form', content: 'Fixed!', created_at: '2025-01-15T10:02:00Z' },
        ]),
      );
    });
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={300} />);
    await submitValid(user);
    expect(await screen.findByText('Fixed!', {}, { timeout: 3000 })).toBeInTheDocument();
  });

  it('"Send another request" resets to an empty form', async () => {
    stubFetch((url) => {
      if (url.endsWith('/support/submit')) return jsonResponse(201, { ticket_id: TICKET });
      return jsonResponse(200, ticketBody('open', [customerMsg]));
    });
    const user = userEvent.setup();
    render(<SupportForm pollIntervalMs={10000} />);
    await submitValid(user);
    await user.click(screen.getByRole('button', { name: /send another request/i }));
    const name = screen.getByLabelText(/^name/i);
    expect(name).toHaveValue('');
    expect(name).toHaveFocus();
    expect(screen.getByLabelText(/how can we help/i)).toHaveValue('');
    expect(screen.queryByText(TICKET)).not.toBeInTheDocument();
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });
});

describe('SupportForm — theming', () => {
  it('applies theme values as CSS variables and supports dark mode', () => {
    const { container } = render(
      <SupportForm theme={{ primaryColor: '#ff5500', fontFamily: 'Inter, sans-serif', radius: 12, mode: 'dark' }} />,
    );
    const root = container.firstChild;
    expect(root).toHaveClass('fte-sf', 'fte-sf--dark');
    expect(root.style.getPropertyValue('--fte-primary')).toBe('#ff5500');
    expect(root.style.getPropertyValue('--fte-font')).toBe('Inter, sans-serif');
    expect(root.style.getPropertyValue('--fte-radius')).toBe('12px');
  });

  it('falls back to defaults for a missing or partial theme', () => {
    const { container } = render(<SupportForm theme={{ radius: '4px' }} />);
    const root = container.firstChild;
    expect(root).toHaveClass('fte-sf--light');
    expect(root.style.getPropertyValue('--fte-primary')).toBe('#2563eb');
    expect(root.style.getPropertyValue('--fte-radius')).toBe('4px');
  });
});
