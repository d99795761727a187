// The component lives at frontend/SupportForm.jsx (required file name);
// this re-export keeps `src/SupportForm.jsx` imports working too.
export { default, DEFAULT_THEME, DEFAULT_POLL_INTERVAL_MS, DEFAULT_MAX_POLL_MS } from '../SupportForm.jsx';
