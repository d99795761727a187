// Customer Success FTE — embeddable customer support web form.
//
// <SupportForm apiBase="" theme={{ primaryColor, fontFamily, radius, mode }}
//              pollIntervalMs={3000} onSubmitted={(ticketId) => {}}
//              initialTicket={{ ticketId, token }} syncUrl={false} />
//
// All user/agent supplied content is rendered as React text nodes (never as
// HTML), so markup in a message is shown literally.

import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import {
  CATEGORIES,
  EMPTY_VALUES,
  FIELD_ORDER,
  LIMITS,
  PRIORITIES,
  toPayload,
  validateAll,
} from './src/validation.js';
import { fetchTicket, hasReply, lookupRequests, sendFeedback, submitTicket } from './src/api.js';
import './src/support-form.css';

export const DEFAULT_THEME = Object.freeze({
  primaryColor: '#2563eb',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  radius: 8,
  mode: 'light',
});

export const DEFAULT_POLL_INTERVAL_MS = 3000;
// Polling backs off (x1.5 per unchanged poll) up to this interval, and stops after
// DEFAULT_MAX_POLL_MS without any change; it starts again when the tab is shown again.
export const DEFAULT_MAX_POLL_INTERVAL_MS = 30 * 1000;
export const DEFAULT_MAX_POLL_MS = 60 * 60 * 1000;
const BACKOFF = 1.5;

// The customer's words for a ticket's status (the API also sends `status_label`).
export const STATUS_LABELS = {
  open: 'Received',
  in_progress: 'In progress',
  escalated: 'With our support team',
  pending: 'Waiting for your reply',
  on_hold: 'With our support team',
  resolved: 'Solved',
  closed: 'Closed',
};
const FINISHED = new Set(['resolved', 'closed']);

const AUTHOR_LABELS = {
  customer: 'You',
  agent: 'Support assistant',
  staff: 'Support team',
};

const CHANNEL_LABELS = {
  web_form: 'Web form',
  email: 'Email',
  whatsapp: 'WhatsApp',
};

function humanize(value) {
  const s = String(value || '').replace(/_/g, ' ').trim();
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : '';
}

function normalizeTheme(theme) {
  const t = { ...DEFAULT_THEME };
  if (theme && typeof theme === 'object') {
    for (const key of Object.keys(DEFAULT_THEME)) {
      const v = theme[key];
      if (v !== undefined && v !== null && v !== '') t[key] = v;
    }
  }
  const radius = typeof t.radius === 'number' ? `${t.radius}px` : String(t.radius);
  const mode = t.mode === 'dark' ? 'dark' : 'light';
  return {
    mode,
    style: {
      '--fte-primary': String(t.primaryColor),
      '--fte-font': String(t.fontFamily),
      '--fte-radius': radius,
    },
  };
}

function formatRetry(seconds) {
  if (seconds >= 120) {
    const minutes = Math.ceil(seconds / 60);
    return `${minutes} minutes`;
  }
  return seconds === 1 ? '1 second' : `${seconds} seconds`;
}

// In the browser's own time zone, named ("15 Jan 2025, 11:00 CET"), like the times in replies.
function formatTimestamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return d.toLocaleString(undefined, {
      year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    });
  } catch {
    return d.toISOString();
  }
}

// ---------------------------------------------------------------------------
// Form view
// ---------------------------------------------------------------------------

function FieldError({ id, message }) {
  if (!message) return null;
  return (
    <p className="fte-sf-error" id={id} role="alert">
      {message}
    </p>
  );
}

function SupportFormView({ apiBase, onSuccess, initialValues, autoFocus = false }) {
  const uid = useId();
  const ids = useMemo(() => {
    const out = {};
    for (const f of FIELD_ORDER) {
      out[f] = `${uid}-${f}`;
      out[`${f}Error`] = `${uid}-${f}-error`;
    }
    out.phoneHint = `${uid}-phone-hint`;
    out.messageCounter = `${uid}-message-counter`;
    out.formError = `${uid}-form-error`;
    return out;
  }, [uid]);

  const [values, setValues] = useState(initialValues);
  const [touched, setTouched] = useState({});
  const [submitAttempted, setSubmitAttempted] = useState(false);
  const [serverErrors, setServerErrors] = useState({});
  const [submitting, setSubmitting] = useState(false);
  const [formError, setFormError] = useState(null); // {kind, message, otherErrors?}
  const fieldRefs = useRef({});
  const abortRef = useRef(null);

  useEffect(() => () => abortRef.current?.abort(), []);

  useEffect(() => {
    if (autoFocus) fieldRefs.current.name?.focus();
  }, [autoFocus]);

  const clientErrors = useMemo(() => validateAll(values), [values]);

  const errorFor = (field) => {
    if ((submitAttempted || touched[field]) && clientErrors[field]) return clientErrors[field];
    const server = serverErrors[field];
    if (server && server.length) return server.join(' ');
    return null;
  };

  const setRef = (field) => (el) => {
    fieldRefs.current[field] = el;
  };

  const focusField = (field) => {
    const el = fieldRefs.current[field];
    if (el && typeof el.focus === 'function') el.focus();
  };

  const handleChange = (event) => {
    const { name, value } = event.target;
    setValues((prev) => ({ ...prev, [name]: value }));
    if (serverErrors[name]) {
      setServerErrors((prev) => {
        const next = { ...prev };
        delete next[name];
        return next;
      });
    }
  };

  const handleBlur = (event) => {
    const { name, value } = event.target;
    if (value !== EMPTY_VALUES[name] && !touched[name]) {
      setTouched((prev) => ({ ...prev, [name]: true }));
    }
  };

  const send = useCallback(async () => {
    const errs = validateAll(values);
    setSubmitAttempted(true);
    if (Object.keys(errs).length > 0) {
      const first = FIELD_ORDER.find((f) => errs[f]);
      setFormError(null);
      focusField(first);
      return;
    }
    abortRef.current?.abort();
    const controller = new AbortController();
    abortRef.current = controller;
    setSubmitting(true);
    setFormError(null);
    setServerErrors({});
    let result;
    try {
      result = await submitTicket(apiBase, toPayload(values), { signal: controller.signal });
    } catch {
      return; // aborted (component unmounted)
    }
    if (controller.signal.aborted) return;
    setSubmitting(false);

    if (result.ok) {
      onSuccess(result.ticketId, values, result.token);
      return;
    }
    if (result.kind === 'validation') {
      const known = {};
      const other = [];
      for (const [field, msgs] of Object.entries(result.fields || {})) {
        const list = (Array.isArray(msgs) ? msgs : [msgs]).map((m) => String(m));
        if (FIELD_ORDER.includes(field)) known[field] = list;
        else other.push(...list);
      }
      setServerErrors(known);
      setFormError({
        kind: 'validation',
        message: result.detail || 'Some fields need attention.',
        other,
      });
      const first = FIELD_ORDER.find((f) => known[f]);
      if (first) focusField(first);
      return;
    }
    if (result.kind === 'rate_limited') {
      const message =
        result.retryAfter != null
          ? `Too many requests. Please try again in ${formatRetry(result.retryAfter)}.`
          : 'Too many requests. Please wait a moment and try again.';
      setFormError({ kind: 'rate_limited', message });
      return;
    }
    setFormError({
      kind: 'error',
      retry: true,
      message:
        result.status === 0
          ? "We couldn't reach the support service. Please check your connection and try again."
          : 'Something went wrong while sending your request. Please try again.',
    });
  }, [apiBase, onSuccess, values]);

  const handleSubmit = (event) => {
    event.preventDefault();
    if (submitting) return;
    send();
  };

  const inputProps = (field, extraDescribedBy = []) => {
    const error = errorFor(field);
    const describedBy = [...extraDescribedBy, error ? ids[`${field}Error`] : null]
      .filter(Boolean)
      .join(' ');
    return {
      id: ids[field],
      name: field,
      value: values[field],
      onChange: handleChange,
      onBlur: handleBlur,
      ref: setRef(field),
      'aria-invalid': error ? 'true' : 'false',
      'aria-describedby': describedBy || undefined,
      className: `fte-sf-input${error ? ' fte-sf-input--invalid' : ''}`,
    };
  };

  const messageLength = values.message.length;
  const messageOver = messageLength > LIMITS.message.max;

  return (
    <form
      className="fte-sf-form"
      noValidate
      onSubmit={handleSubmit}
      aria-busy={submitting ? 'true' : 'false'}
      aria-describedby={formError ? ids.formError : undefined}
    >
      <div className="fte-sf-header">
        <h2 className="fte-sf-title">Contact support</h2>
        <p className="fte-sf-subtitle">
          Tell us what you need and we&rsquo;ll get back to you as quickly as possible. Fields marked{' '}
          <span aria-hidden="true" className="fte-sf-req">*</span>
          <span className="fte-sf-visually-hidden">with an asterisk</span> are required.
        </p>
      </div>

      {formError && (
        <div
          className={`fte-sf-banner fte-sf-banner--${formError.kind === 'validation' ? 'warning' : 'error'}`}
          id={ids.formError}
          role="alert"
        >
          <p className="fte-sf-banner-text">{formError.message}</p>
          {formError.other && formError.other.length > 0 && (
            <ul className="fte-sf-banner-list">
              {formError.other.map((msg, i) => (
                <li key={i}>{msg}</li>
              ))}
            </ul>
          )}
          {formError.retry && (
            <button
              type="button"
              className="fte-sf-button fte-sf-button--secondary fte-sf-button--small"
              onClick={() => send()}
              disabled={submitting}
            >
              Try again
            </button>
          )}
        </div>
      )}

      <div className="fte-sf-grid">
        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.name}>
            Name <span aria-hidden="true" className="fte-sf-req">*</span>
          </label>
          <input type="text" autoComplete="name" required aria-required="true" {...inputProps('name')} />
          <FieldError id={ids.nameError} message={errorFor('name')} />
        </div>

        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.email}>
            Email <span aria-hidden="true" className="fte-sf-req">*</span>
          </label>
          <input
            type="email"
            autoComplete="email"
            inputMode="email"
            required
            aria-required="true"
            {...inputProps('email')}
          />
          <FieldError id={ids.emailError} message={errorFor('email')} />
        </div>

        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.phone}>
            Phone <span className="fte-sf-optional">(optional)</span>
          </label>
          <input type="tel" autoComplete="tel" inputMode="tel" {...inputProps('phone', [ids.phoneHint])} />
          <p className="fte-sf-hint" id={ids.phoneHint}>
            Include your country code, e.g. +1 555 123 4567.
          </p>
          <FieldError id={ids.phoneError} message={errorFor('phone')} />
        </div>

        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.category}>
            Category
          </label>
          <select {...inputProps('category')}>
            {CATEGORIES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
          <FieldError id={ids.categoryError} message={errorFor('category')} />
        </div>

        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.subject}>
            Subject <span aria-hidden="true" className="fte-sf-req">*</span>
          </label>
          <input type="text" required aria-required="true" {...inputProps('subject')} />
          <FieldError id={ids.subjectError} message={errorFor('subject')} />
        </div>

        <div className="fte-sf-field">
          <label className="fte-sf-label" htmlFor={ids.priority}>
            Priority
          </label>
          <select {...inputProps('priority')}>
            {PRIORITIES.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
          <FieldError id={ids.priorityError} message={errorFor('priority')} />
        </div>

        <div className="fte-sf-field fte-sf-field--full">
          <label className="fte-sf-label" htmlFor={ids.message}>
            How can we help? <span aria-hidden="true" className="fte-sf-req">*</span>
          </label>
          <textarea rows={7} required aria-required="true" {...inputProps('message', [ids.messageCounter])} />
          <div className="fte-sf-field-footer">
            <FieldError id={ids.messageError} message={errorFor('message')} />
            <p
              className={`fte-sf-counter${messageOver ? ' fte-sf-counter--over' : ''}`}
              id={ids.messageCounter}
            >
              {messageLength} / {LIMITS.message.max}
              <span className="fte-sf-visually-hidden"> characters</span>
            </p>
          </div>
        </div>
      </div>

      <div className="fte-sf-actions">
        <button type="submit" className="fte-sf-button fte-sf-button--primary" disabled={submitting}>
          {submitting ? 'Sending…' : 'Send request'}
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------------------
// Find my request: links to an address's open tickets, by email
// ---------------------------------------------------------------------------

function FindRequest({ apiBase, open = false }) {
  const uid = useId();
  const [email, setEmail] = useState('');
  const [state, setState] = useState({ kind: 'idle' }); // idle | sending | done | error
  const abortRef = useRef(null);
  useEffect(() => () => abortRef.current?.abort(), []);

  const handleSubmit = async (event) => {
    event.preventDefault();
    if (state.kind === 'sending') return;
    const error = validateAll({ ...EMPTY_VALUES, email }).email;
    if (error) {
      setState({ kind: 'error', message: error });
      return;
    }
    abortRef.current?.abort();
    const controller = new AbortController();
    abortRef.current = controller;
    setState({ kind: 'sending' });
    let result;
    try {
      result = await lookupRequests(apiBase, email, { signal: controller.signal });
    } catch {
      return;
    }
    if (result.ok) {
      setState({ kind: 'done', message: result.detail || 'If this address has open requests, we have emailed links to them.' });
    } else if (result.kind === 'rate_limited') {
      setState({
        kind: 'error',
        message: result.retryAfter != null
          ? `Too many requests. Please try again in ${formatRetry(result.retryAfter)}.`
          : 'Too many requests. Please wait a moment and try again.',
      });
    } else if (result.kind === 'validation') {
      setState({ kind: 'error', message: (result.fields?.email || [result.detail || 'Enter a valid email address.']).join(' ') });
    } else {
      setState({ kind: 'error', message: 'We couldn’t look this up right now. Please try again.' });
    }
  };

  return (
    <details className="fte-sf-lookup" open={open || undefined}>
      <summary className="fte-sf-lookup-summary">Find my request</summary>
      <form className="fte-sf-lookup-form" noValidate onSubmit={handleSubmit}>
        <p className="fte-sf-hint" id={`${uid}-hint`}>
          Already wrote to us? Enter the email address you used and we&rsquo;ll email you links to your open requests.
        </p>
        <label className="fte-sf-label" htmlFor={`${uid}-email`}>Your email address</label>
        <div className="fte-sf-lookup-row">
          <input
            id={`${uid}-email`}
            className="fte-sf-input"
            type="email"
            autoComplete="email"
            inputMode="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            aria-describedby={`${uid}-hint`}
          />
          <button type="submit" className="fte-sf-button fte-sf-button--secondary" disabled={state.kind === 'sending'}>
            {state.kind === 'sending' ? 'Sending…' : 'Email me the links'}
          </button>
        </div>
        <div aria-live="polite">
          {state.kind === 'done' && <p className="fte-sf-note">{state.message}</p>}
          {state.kind === 'error' && <p className="fte-sf-error" role="alert">{state.message}</p>}
        </div>
      </form>
    </details>
  );
}

// ---------------------------------------------------------------------------
// Ticket view (a submitted or reopened ticket, kept up to date)
// ---------------------------------------------------------------------------

function StatusBadge({ status, label }) {
  const key = STATUS_LABELS[status] ? status : 'unknown';
  return (
    <span className={`fte-sf-badge fte-sf-badge--${key}`} data-status={status}>
      <span className="fte-sf-visually-hidden">Status: </span>
      {label || STATUS_LABELS[status] || humanize(status)}
    </span>
  );
}

function FeedbackButtons({ onFeedback, busy }) {
  return (
    <div className="fte-sf-feedback" role="group" aria-label="Did this answer help?">
      <span className="fte-sf-feedback-question">Did this answer help?</span>
      <button
        type="button"
        className="fte-sf-button fte-sf-button--secondary fte-sf-button--small"
        disabled={busy}
        onClick={() => onFeedback(true)}
      >
        This solved it
      </button>
      <button
        type="button"
        className="fte-sf-button fte-sf-button--secondary fte-sf-button--small"
        disabled={busy}
        onClick={() => onFeedback(false)}
      >
        This didn&rsquo;t help
      </button>
    </div>
  );
}

function Conversation({ messages, feedbackFor, onFeedback, feedbackBusy }) {
  return (
    <ol className="fte-sf-conversation" aria-label="Conversation">
      {messages.map((m, i) => {
        const isCustomer = m.author === 'customer';
        const when = formatTimestamp(m.created_at);
        return (
          <li
            key={m.id != null ? `m${m.id}` : `${i}-${m.created_at || ''}`}
            className={`fte-sf-msg ${isCustomer ? 'fte-sf-msg--customer' : 'fte-sf-msg--reply'}`}
          >
            <div className="fte-sf-msg-meta">
              <span className="fte-sf-msg-author">{AUTHOR_LABELS[m.author] || humanize(m.author)}</span>
              {m.channel && (
                <span className="fte-sf-msg-channel">{CHANNEL_LABELS[m.channel] || humanize(m.channel)}</span>
              )}
              {when && (
                <time className="fte-sf-msg-time" dateTime={String(m.created_at)}>
                  {when}
                </time>
              )}
            </div>
            <div className="fte-sf-msg-body">{m.content == null ? '' : String(m.content)}</div>
            {feedbackFor === m && <FeedbackButtons onFeedback={onFeedback} busy={feedbackBusy} />}
          </li>
        );
      })}
    </ol>
  );
}

function signature(ticket) {
  return JSON.stringify([ticket.status, ticket.messages.map((m) => [m.id, m.created_at, m.feedback])]);
}

/**
 * Poll the ticket while it is open: every `base` ms at first, backing off (x1.5) while
 * nothing changes, up to `maxInterval`; back to `base` on any change. Stops when the
 * ticket is solved or closed, the link is refused, or nothing changed for `maxIdle` ms;
 * `wake()` (tab shown again, "Check for replies") starts it again.
 */
function useTicketPolling({ apiBase, ticketId, token, base, maxInterval, maxIdle }) {
  const [ticket, setTicket] = useState(null);
  const [state, setState] = useState('polling'); // polling | idle | finished | denied
  const [denied, setDenied] = useState(null);
  const [wakeCount, setWakeCount] = useState(0);
  const lastSignature = useRef('');

  const accept = useCallback((next) => {
    lastSignature.current = signature(next);
    setTicket(next);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    let timer = null;
    let cancelled = false;
    let interval = base;
    let lastChange = Date.now();
    setState('polling');

    const tick = async () => {
      let result;
      try {
        result = await fetchTicket(apiBase, ticketId, { signal: controller.signal, token });
      } catch {
        return; // aborted
      }
      if (cancelled) return;
      if (result.ok) {
        const sig = signature(result.ticket);
        if (sig !== lastSignature.current) {
          lastSignature.current = sig;
          lastChange = Date.now();
          interval = base;
          setTicket(result.ticket);
        } else {
          interval = Math.min(maxInterval, interval * BACKOFF);
        }
        if (FINISHED.has(result.ticket.status)) {
          setState('finished');
          return;
        }
      } else if (result.status === 403 || result.status === 404) {
        setDenied(result.detail || 'This link is not valid.');
        setState('denied');
        return;
      } else {
        interval = Math.min(maxInterval, interval * BACKOFF); // a hiccup: try again, more slowly
      }
      if (Date.now() - lastChange + interval > maxIdle) {
        setState('idle');
        return;
      }
      timer = setTimeout(tick, interval);
    };

    tick();
    return () => {
      cancelled = true;
      if (timer) clearTimeout(timer);
      controller.abort();
    };
  }, [apiBase, ticketId, token, base, maxInterval, maxIdle, wakeCount]);

  const wake = useCallback(() => setWakeCount((n) => n + 1), []);

  // Coming back to the tab checks at once (and restarts polling that had stopped).
  useEffect(() => {
    if (typeof document === 'undefined') return undefined;
    const onVisible = () => {
      if (document.visibilityState === 'visible' && (state === 'idle' || state === 'polling')) wake();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [state, wake]);

  return { ticket, state, denied, wake, accept };
}

function TicketView({ apiBase, ticketId, token, submitted, pollIntervalMs, maxPollIntervalMs, maxPollMs, onReset }) {
  const headingRef = useRef(null);
  const base = Math.max(250, Number(pollIntervalMs) || DEFAULT_POLL_INTERVAL_MS);
  const { ticket, state, denied, wake, accept } = useTicketPolling({
    apiBase,
    ticketId,
    token,
    base,
    maxInterval: Math.max(base, Number(maxPollIntervalMs) || DEFAULT_MAX_POLL_INTERVAL_MS),
    maxIdle: Math.max(0, Number(maxPollMs) || DEFAULT_MAX_POLL_MS),
  });
  const [feedback, setFeedback] = useState({ busy: false, note: null, error: null });
  const abortRef = useRef(null);
  useEffect(() => () => abortRef.current?.abort(), []);

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const messages =
    ticket && ticket.messages.length > 0
      ? ticket.messages
      : submitted
        ? [{ author: 'customer', channel: 'web_form', content: submitted.message.trim(), created_at: submitted.at }]
        : [];
  const status = ticket ? ticket.status : 'open';
  const replied = hasReply(messages);
  const subject = (ticket && ticket.subject) || (submitted ? submitted.subject.trim() : '');

  // The buttons go under the latest AI answer while the customer has not rated it. A ticket
  // the AI answered counts as solved until the customer says otherwise, so they show on a
  // "Solved" ticket too (not on a closed one).
  let lastAnswer = null;
  for (const m of messages) if (m.author === 'agent' || m.author === 'staff') lastAnswer = m;
  const rateable =
    token && lastAnswer && lastAnswer.author === 'agent' && lastAnswer.feedback == null && status !== 'closed'
      ? lastAnswer
      : null;

  const giveFeedback = async (helped) => {
    if (!rateable) return;
    abortRef.current?.abort();
    const controller = new AbortController();
    abortRef.current = controller;
    setFeedback({ busy: true, note: null, error: null });
    let result;
    try {
      result = await sendFeedback(apiBase, ticketId, token, { helped, messageId: rateable.id }, { signal: controller.signal });
    } catch {
      return;
    }
    if (result.ok) {
      accept(result.ticket);
      setFeedback({
        busy: false,
        error: null,
        note: helped
          ? 'Thanks for letting us know. We’ve marked your request as solved.'
          : 'Sorry that didn’t help. A person from our support team now has your request; their reply will appear here and be emailed to you.',
      });
      if (!helped) wake();
    } else {
      setFeedback({ busy: false, note: null, error: 'We couldn’t record that just now. Please try again.' });
    }
  };

  if (state === 'denied') {
    return (
      <div className="fte-sf-success">
        <div className="fte-sf-banner fte-sf-banner--warning" role="alert">
          <p className="fte-sf-banner-text">
            {denied} We can email you a new link to your request.
          </p>
        </div>
        <FindRequest apiBase={apiBase} open />
        <div className="fte-sf-actions">
          <button type="button" className="fte-sf-button fte-sf-button--secondary" onClick={onReset}>
            Send a new request
          </button>
        </div>
      </div>
    );
  }

  let waiting = null;
  if (state === 'polling' && !replied) {
    waiting = (
      <p className="fte-sf-waiting">
        <span className="fte-sf-dots" aria-hidden="true">
          <span />
          <span />
          <span />
        </span>
        We&rsquo;re preparing your answer…
      </p>
    );
  } else if (state === 'idle' && !replied) {
    waiting = (
      <p className="fte-sf-waiting fte-sf-waiting--done">
        This is taking a little longer than usual. We&rsquo;ll email you as soon as your answer is ready.
      </p>
    );
  } else if (
    (state === 'polling' || state === 'idle') &&
    (status === 'escalated' || status === 'on_hold') &&
    lastAnswer &&
    lastAnswer.author !== 'staff' &&
    !feedback.note
  ) {
    waiting = (
      <p className="fte-sf-waiting fte-sf-waiting--done">
        A person from our support team has your request. Their reply will appear here and be emailed to you.
      </p>
    );
  }

  return (
    <div className="fte-sf-success">
      <div className="fte-sf-success-header">
        <div className="fte-sf-check" aria-hidden="true">
          <svg viewBox="0 0 24 24" width="24" height="24" focusable="false">
            <path d="M9 16.2 4.8 12l-1.4 1.4L9 19 21 7l-1.4-1.4z" fill="currentColor" />
          </svg>
        </div>
        <div>
          <h2 className="fte-sf-title" tabIndex={-1} ref={headingRef}>
            {submitted ? 'Your ticket ' : 'Your request '}
            <span className="fte-sf-ticket-id">{ticketId}</span>
            {submitted ? ' has been received' : ''}
          </h2>
          <p className="fte-sf-subtitle">
            {submitted
              ? 'Keep this reference for your records. Our answer appears below as soon as it is ready, and we email every reply to you.'
              : 'Replies appear below as they arrive, and we email each one to you.'}
          </p>
        </div>
      </div>

      <div className="fte-sf-thread">
        <div className="fte-sf-thread-header">
          <h3 className="fte-sf-thread-title">{subject}</h3>
          <StatusBadge status={status} label={ticket && ticket.statusLabel} />
        </div>
        <Conversation
          messages={messages}
          feedbackFor={rateable}
          onFeedback={giveFeedback}
          feedbackBusy={feedback.busy}
        />
        <div aria-live="polite" className="fte-sf-live">
          {feedback.note && !(lastAnswer && lastAnswer.author === 'staff') && (
            <p className="fte-sf-note">{feedback.note}</p>
          )}
          {feedback.error && (
            <p className="fte-sf-error" role="alert">
              {feedback.error}
            </p>
          )}
          {waiting}
          {state === 'idle' && replied && (
            <p className="fte-sf-waiting fte-sf-waiting--done">
              We&rsquo;ll email you when there&rsquo;s a new reply.{' '}
              <button type="button" className="fte-sf-link-button" onClick={wake}>
                Check for replies
              </button>
            </p>
          )}
        </div>
      </div>

      <div className="fte-sf-actions">
        <button type="button" className="fte-sf-button fte-sf-button--secondary" onClick={onReset}>
          Send another request
        </button>
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------
// Public component
// ---------------------------------------------------------------------------

export default function SupportForm({
  apiBase = '',
  theme,
  pollIntervalMs = DEFAULT_POLL_INTERVAL_MS,
  maxPollIntervalMs = DEFAULT_MAX_POLL_INTERVAL_MS,
  maxPollMs = DEFAULT_MAX_POLL_MS,
  onSubmitted,
  initialTicket,
  syncUrl = false,
}) {
  const { mode, style } = useMemo(() => normalizeTheme(theme), [theme]);
  // {ticketId, token, values?, at?}: a submission made here, or a ticket opened from a link.
  const [current, setCurrent] = useState(() =>
    initialTicket && initialTicket.ticketId
      ? { ticketId: String(initialTicket.ticketId), token: String(initialTicket.token || '') }
      : null,
  );
  const [formKey, setFormKey] = useState(0);
  const onSubmittedRef = useRef(onSubmitted);
  onSubmittedRef.current = onSubmitted;

  const handleSuccess = useCallback(
    (ticketId, values, token) => {
      setCurrent({ ticketId, token: token || '', values, at: new Date().toISOString() });
      // On our own page the address bar becomes the ticket's link, so a reload (or a
      // bookmark) opens the ticket again.
      if (syncUrl && token) replaceQuery({ ticket: ticketId, token });
      const cb = onSubmittedRef.current;
      if (typeof cb === 'function') {
        try {
          cb(ticketId);
        } catch (err) {
          // A host callback must never break the form.
          if (typeof console !== 'undefined') console.error(err);
        }
      }
    },
    [syncUrl],
  );

  const handleReset = useCallback(() => {
    setCurrent(null);
    setFormKey((k) => k + 1);
    if (syncUrl) replaceQuery({ ticket: null, token: null });
  }, [syncUrl]);

  return (
    <div className={`fte-sf fte-sf--${mode}`} style={style} data-mode={mode}>
      {current ? (
        <TicketView
          key={current.ticketId}
          apiBase={apiBase}
          ticketId={current.ticketId}
          token={current.token}
          submitted={current.values ? { ...current.values, at: current.at } : null}
          pollIntervalMs={pollIntervalMs}
          maxPollIntervalMs={maxPollIntervalMs}
          maxPollMs={maxPollMs}
          onReset={handleReset}
        />
      ) : (
        <>
          <SupportFormView
            key={formKey}
            apiBase={apiBase}
            onSuccess={handleSuccess}
            initialValues={EMPTY_VALUES}
            autoFocus={formKey > 0}
          />
          <FindRequest apiBase={apiBase} />
        </>
      )}
    </div>
  );
}

function replaceQuery(changes) {
  if (typeof window === 'undefined' || !window.history || !window.location) return;
  try {
    const url = new URL(window.location.href);
    for (const [key, value] of Object.entries(changes)) {
      if (value == null) url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    }
    window.history.replaceState(window.history.state, '', url.toString());
  } catch {
    // An odd host page (sandboxed iframe, file://) keeps its URL; the ticket still works.
  }
}
