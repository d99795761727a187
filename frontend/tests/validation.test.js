import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../src/api.js';
import { EMPTY_VALUES, isValidEmail, isValidPhone, toPayload, validateAll, validateField } from '../src/validation.js';

const valid = {
  ...EMPTY_VALUES,
  name: 'Ada',
  email: 'ada@example.com',
  subject: 'Hey',
  message: '0123456789',
};

describe('validation rules (mirror the API)', () => {
  it('accepts the minimal valid submission', () => {
    expect(validateAll(valid)).toEqual({});
  });

  it.each([
    ['name', '', 'Please enter your name.'],
    ['name', '   ', 'Please enter your name.'],
    ['name', 'x'.repeat(121), 'Name must be at most 120 characters.'],
    ['subject', 'ab', 'Subject must be at least 3 characters.'],
    ['subject', 'x'.repeat(201), 'Subject must be at most 200 characters.'],
    ['message', '123456789', 'Message must be at least 10 characters.'],
    ['message', 'x'.repeat(5001), 'Message must be at most 5000 characters.'],
    ['category', 'sales', 'Choose a category.'],
    ['priority', 'urgent', 'Choose a priority.'],
  ])('%s=%j → %s', (field, value, message) => {
    expect(validateField(field, { ...valid, [field]: value })).toBe(message);
  });

  it('accepts boundary lengths', () => {
    expect(validateAll({ ...valid, name: 'x'.repeat(120), subject: 'x'.repeat(200), message: 'x'.repeat(5000) })).toEqual({});
  });

  it.each(['a@b.co', 'first.last+tag@sub.example.org'])('valid email %s', (e) => {
    expect(isValidEmail(e)).toBe(true);
  });

  it.each(['plain', 'a@b', 'a b@c.com', '@c.com', 'a@.com', 'a@b.c', 'a@@b.com', 'a@b..com'])('invalid email %s', (e) => {
    expect(isValidEmail(e)).toBe(false);
  });

  it.each(['+1 555 123 4567', '+44 (20) 7946-0958', '5551234', '+123456789012345'])('valid phone %s', (p) => {
    expect(isValidPhone(p)).toBe(true);
  });

  it.each(['123456', '+1234567890123456', '555-CALL-NOW', '1+5551234', '+', 'abc'])('invalid phone %s', (p) => {
    expect(isValidPhone(p)).toBe(false);
  });

  it('phone is optional', () => {
    expect(validateField('phone', { ...valid, phone: '' })).toBeNull();
  });

  it('builds a trimmed payload and drops an empty phone', () => {
    expect(toPayload({ ...valid, name: '  Ada ', phone: '  ' })).toEqual({
      name: 'Ada',
      email: 'ada@example.com',
      subject: 'Hey',
      category: 'general',
      priority: 'medium',
      message: '0123456789',
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone, // so replies can say times in it
    });
    expect(toPayload({ ...valid, phone: ' +1 555 1234 ' }).phone).toBe('+1 555 1234');
  });
});

describe('parseRetryAfter', () => {
  it('parses delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('30')).toBe(30);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:01:30 GMT', now)).toBe(90);
  });
});
