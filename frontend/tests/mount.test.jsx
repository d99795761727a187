import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { act } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { fillForm, jsonResponse, stubFetch } from './helpers.js';

// The entry module is evaluated once per test file (like a <script> on a page);
// later tests drive it through window.FTESupportForm.
async function loadEntry() {
  await act(async () => {
    await import('../src/main.jsx');
  });
  return window.FTESupportForm;
}

describe('bundle entry (src/main.jsx)', () => {
  it('auto-mounts on #fte-support-root using data-api-base and data-theme', async () => {
    document.body.innerHTML =
      '<div id="fte-support-root" data-api-base="https://api.example.com" data-theme=\'{"mode":"dark","primaryColor":"#123456"}\'></div>';
    const fetchMock = stubFetch(() => jsonResponse(201, { ticket_id: 'TKT-AAAAAA' }));
    const api = await loadEntry();
    expect(typeof api.mount).toBe('function');

    const root = document.getElementById('fte-support-root');
    await waitFor(() => expect(root.querySelector('.fte-sf--dark')).not.toBeNull());
    expect(root.querySelector('.fte-sf').style.getPropertyValue('--fte-primary')).toBe('#123456');

    const user = userEvent.setup();
    await fillForm(user, screen);
    await user.click(screen.getByRole('button', { name: /send request/i }));
    await screen.findByText('TKT-AAAAAA');
    expect(fetchMock.mock.calls[0][0]).toBe('https://api.example.com/support/submit');
    act(() => api.unmount(root));
  });

  it('tolerates invalid data-theme JSON', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    document.body.innerHTML = '<div id="fte-support-root" data-theme="{oops"></div>';
    const api = await loadEntry();
    act(() => {
      api.autoMount();
    });
    const root = document.getElementById('fte-support-root');
    await waitFor(() => expect(root.querySelector('.fte-sf--light')).not.toBeNull());
    expect(warn).toHaveBeenCalled();
    act(() => api.unmount(root));
  });

  it('exposes FTESupportForm.mount for other elements', async () => {
    const api = await loadEntry();
    const el = document.createElement('div');
    document.body.appendChild(el);
    let handle;
    act(() => {
      handle = api.mount(el, { theme: { mode: 'dark' } });
    });
    expect(el.querySelector('.fte-sf--dark')).not.toBeNull();
    act(() => handle.update({ theme: { mode: 'light' } }));
    expect(el.querySelector('.fte-sf--light')).not.toBeNull();
    act(() => handle.unmount());
    expect(el.innerHTML).toBe('');
    expect(() => api.mount('#does-not-exist')).toThrow(/element not found/);
  });
});
