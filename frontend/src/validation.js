// Client-side validation mirroring the API rules of POST /support/submit.
// Keep these in sync with the server-side form/serializer.

export const CATEGORIES = [
  { value: 'general', label: 'General question' },
  { value: 'technical', label: 'Technical support' },
  { value: 'billing', label: 'Billing & payments' },
  { value: 'account', label: 'Account & access' },
  { value: 'integrations', label: 'Integrations' },
  { value: 'bug', label: 'Report a bug' },
];

export const PRIORITIES = [
  { value: 'low', label: 'Low' },
  { value: 'medium', label: 'Medium' },
  { value: 'high', label: 'High' },
];

export const LIMITS = {
  name: { min: 1, max: 120 },
  subject: { min: 3, max: 200 },
  message: { min: 10, max: 5000 },
  email: { max: 254 },
  phone: { minDigits: 7, maxDigits: 15 },
};

export const FIELD_ORDER = ['name', 'email', 'phone', 'subject', 'category', 'priority', 'message'];

export const EMPTY_VALUES = Object.freeze({
  name: '',
  email: '',
  phone: '',
  subject: '',
  category: 'general',
  priority: 'medium',
  message: '',
});

// Pragmatic email check: one "@", no whitespace, a dot in the domain part,
// no leading/trailing dot in the domain.
const EMAIL_RE = /^[^\s@]+@[^\s@.][^\s@]*\.[^\s@.]{2,}$/;

// Optional leading "+", then digits with spaces, dashes or parentheses in between.
const PHONE_CHARS_RE = /^\+?[\d\s()-]+$/;

export function isValidEmail(value) {
  const v = String(value || '').trim();
  return v.length > 0 && v.length <= LIMITS.email.max && EMAIL_RE.test(v) && !v.includes('..');
}

export function isValidPhone(value) {
  const v = String(value || '').trim();
  if (!PHONE_CHARS_RE.test(v)) return false;
  const digits = v.replace(/\D/g, '');
  return digits.length >= LIMITS.phone.minDigits && digits.length <= LIMITS.phone.maxDigits;
}

function lengthError(value, { min, max }, { empty, noun }) {
  const len = value.length;
  if (len === 0) return empty;
  if (len < min) return `${noun} must be at least ${min} characters.`;
  if (len > max) return `${noun} must be at most ${max} characters.`;
  return null;
}

/** Validate a single field. Returns an error message string or null. */
export function validateField(field, values) {
  const raw = values[field];
  const value = typeof raw === 'string' ? raw.trim() : '';
  switch (field) {
    case 'name':
      return lengthError(value, LIMITS.name, { empty: 'Please enter your name.', noun: 'Name' });
    case 'email':
      if (!value) return 'Please enter your email address.';
      return isValidEmail(value) ? null : 'Enter a valid email address.';
    case 'subject':
      return lengthError(value, LIMITS.subject, { empty: 'Please enter a subject.', noun: 'Subject' });
    case 'message':
      return lengthError(value, LIMITS.message, { empty: 'Please describe your request.', noun: 'Message' });
    case 'category':
      return CATEGORIES.some((c) => c.value === value) ? null : 'Choose a category.';
    case 'priority':
      return PRIORITIES.some((p) => p.value === value) ? null : 'Choose a priority.';
    case 'phone':
      if (!value) return null;
      return isValidPhone(value)
        ? null
        : 'Enter an international phone number, e.g. +1 555 123 4567 (7–15 digits).';
    default:
      return null;
  }
}

/** Validate all fields; returns an object of {field: message} for invalid fields only. */
export function validateAll(values) {
  const errors = {};
  for (const field of FIELD_ORDER) {
    const err = validateField(field, values);
    if (err) errors[field] = err;
  }
  return errors;
}

/** Build the JSON payload sent to the API (trimmed; phone omitted when empty). */
export function toPayload(values) {
  const payload = {
    name: values.name.trim(),
    email: values.email.trim(),
    subject: values.subject.trim(),
    category: values.category,
    priority: values.priority,
    message: values.message.trim(),
  };
  const phone = values.phone.trim();
  if (phone) payload.phone = phone;
  const zone = browserTimeZone();
  if (zone) payload.time_zone = zone;
  return payload;
}

/** The browser's IANA time zone (e.g. "Europe/Madrid"), so replies can give times in it. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch {
    return '';
  }
}
