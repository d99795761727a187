// Customer Success FTE — embeddable customer support web form.
//
// <SupportForm apiBase="" theme={{ primaryColor, fontFamily, radius, mode }}
//              pollIntervalMs={3000} onSubmitted={(ticketId) => {}} />
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
import { fetchTicket, hasReply, submitTicket } from './src/api.js';
import './src/support-form.css';

export const DEFAULT_THEME = Object.freeze({
  primaryColor: '#2563eb',
  fontFamily:
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif',
  radius: 8,
  mode: 'light',
});

export const DEFAULT_POLL_INTERVAL_MS = 3000;
export const DEFAULT_MAX_POLL_MS = 10 * 60 * 1000;

const STATUS_LABELS = {
  open: 'Open',
  in_progress: 'In progress',
  escalated: 'Escalated',
  resolved: 'Resolved',
  closed: 'Closed',
};

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

function formatTimestamp(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  try {
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
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
      onSuccess(result.ticketId, values);
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
// Success view (ticket + live conversation)
// ---------------------------------------------------------------------------

function StatusBadge({ status }) {
  const key = STATUS_LABELS[status] ? status : 'unknown';
  return (
    <span className={`fte-sf-badge fte-sf-badge--${key}`} data-status={status}>
      <span className="fte-sf-visually-hidden">Status: </span>
      {STATUS_LABELS[status] || humanize(status)}
    </span>
  );
}

function Conversation({ messages }) {
  return (
    <ol className="fte-sf-conversation" aria-label="Conversation">
      {messages.map((m, i) => {
        const isCustomer = m.author === 'customer';
        const when = formatTimestamp(m.created_at);
        return (
          <li
            key={`${i}-${m.created_at || ''}`}
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
          </li>
        );
      })}
    </ol>
  );
}

function SuccessView({ apiBase, ticketId, submitted, pollIntervalMs, maxPollMs, onReset }) {
  const headingRef = useRef(null);
  const [ticket, setTicket] = useState(null);
  const [pollState, setPollState] = useState('polling'); // polling | replied | timeout

  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  useEffect(() => {
    const interval = Math.max(250, Number(pollIntervalMs) || DEFAULT_POLL_INTERVAL_MS);
    const maxMs = Math.max(0, Number(maxPollMs) || DEFAULT_MAX_POLL_MS);
    const controller = new AbortController();
    const startedAt = Date.now();
    let timer = null;
    let cancelled = false;

    setPollState('polling');

    const tick = async () => {
      let result;
      try {
        result = await fetchTicket(apiBase, ticketId, { signal: controller.signal });
      } catch {
        return; // aborted
      }
      if (cancelled) return;
      if (result.ok) {
        setTicket(result.ticket);
        if (hasReply(result.ticket.messages)) {
          setPollState('replied');
          return;
        }
      }
      if (Date.now() - startedAt + interval > maxMs) {
        setPollState('timeout');
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
  }, [apiBase, ticketId, pollIntervalMs, maxPollMs]);

  const messages =
    ticket && ticket.messages.length > 0
      ? ticket.messages
      : [
          {
            author: 'customer',
            channel: 'web_form',
            content: submitted.message.trim(),
            created_at: submitted.at,
          },
        ];
  const status = ticket ? ticket.status : 'open';

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
            Your ticket <span className="fte-sf-ticket-id">{ticketId}</span> has been received
          </h2>
          <p className="fte-sf-subtitle">
            Keep this reference for your records. Our answer appears below as soon as it is ready.
          </p>
        </div>
      </div>

      <div className="fte-sf-thread">
        <div className="fte-sf-thread-header">
          <h3 className="fte-sf-thread-title">{submitted.subject.trim()}</h3>
          <StatusBadge status={status} />
        </div>
        <Conversation messages={messages} />
        <div aria-live="polite" className="fte-sf-live">
          {pollState === 'polling' && (
            <p className="fte-sf-waiting">
              <span className="fte-sf-dots" aria-hidden="true">
                <span />
                <span />
                <span />
              </span>
              We&rsquo;re preparing your answer…
            </p>
          )}
          {pollState === 'timeout' && (
            <p className="fte-sf-waiting fte-sf-waiting--done">
              This is taking a little longer than usual. We&rsquo;ll email you as soon as your answer is ready.
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
  maxPollMs = DEFAULT_MAX_POLL_MS,
  onSubmitted,
}) {
  const { mode, style } = useMemo(() => normalizeTheme(theme), [theme]);
  const [submission, setSubmission] = useState(null); // {ticketId, values, at}
  const [formKey, setFormKey] = useState(0);
  const onSubmittedRef = useRef(onSubmitted);
  onSubmittedRef.current = onSubmitted;

  const handleSuccess = useCallback((ticketId, values) => {
    setSubmission({ ticketId, values, at: new Date().toISOString() });
    const cb = onSubmittedRef.current;
    if (typeof cb === 'function') {
      try {
        cb(ticketId);
      } catch (err) {
        // A host callback must never break the form.
        if (typeof console !== 'undefined') console.error(err);
      }
    }
  }, []);

  const handleReset = useCallback(() => {
    setSubmission(null);
    setFormKey((k) => k + 1);
  }, []);

  return (
    <div className={`fte-sf fte-sf--${mode}`} style={style} data-mode={mode}>
      {submission ? (
        <SuccessView
          key={submission.ticketId}
          apiBase={apiBase}
          ticketId={submission.ticketId}
          submitted={{ ...submission.values, at: submission.at }}
          pollIntervalMs={pollIntervalMs}
          maxPollMs={maxPollMs}
          onReset={handleReset}
        />
      ) : (
        <SupportFormView
          key={formKey}
          apiBase={apiBase}
          onSuccess={handleSuccess}
          initialValues={EMPTY_VALUES}
          autoFocus={formKey > 0}
        />
      )}
    </div>
  );
}
