// Applies the saved colour theme before the app loads (no flash of the wrong theme), then
// starts the wasm app. Kept as a file because the CSP forbids inline scripts.
const STORAGE_KEY = 'vigil.theme';

function preferredTheme() {
  try {
    const saved = window.localStorage.getItem(STORAGE_KEY);
    if (saved === 'dark' || saved === 'light') {
      return saved;
    }
  } catch {
    // Storage can be disabled; fall back to the system preference.
  }
  return window.matchMedia('(prefers-color-scheme: light)').matches ? 'light' : 'dark';
}

document.documentElement.dataset.theme = preferredTheme();

import init from '/frontend.js';
init({ module_or_path: '/frontend_bg.wasm' });
