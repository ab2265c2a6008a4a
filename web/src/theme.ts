// Light, dark, or whatever the system prefers (the default). The choice is a display preference,
// so it may live in localStorage; it is applied as data-theme on <html> (see styles.css).
import { $ } from './dom.ts';

type Theme = 'auto' | 'light' | 'dark';
const STORAGE = 'market-data.theme';
const NEXT: Record<Theme, Theme> = { auto: 'dark', dark: 'light', light: 'auto' };
const LABEL: Record<Theme, string> = { auto: 'Auto', dark: 'Dark', light: 'Light' };

function stored(): Theme {
  const value = localStorage.getItem(STORAGE);
  return value === 'light' || value === 'dark' ? value : 'auto';
}

function apply(theme: Theme): void {
  if (theme === 'auto') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
  $('theme-label').textContent = LABEL[theme];
}

/** Applies the saved theme and wires the toggle; onChange runs whenever the colours change. */
export function setUpTheme(onChange: () => void): void {
  let theme = stored();
  apply(theme);
  $('theme-toggle').addEventListener('click', () => {
    theme = NEXT[theme];
    if (theme === 'auto') localStorage.removeItem(STORAGE);
    else localStorage.setItem(STORAGE, theme);
    apply(theme);
    onChange();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => { if (theme === 'auto') onChange(); });
}
