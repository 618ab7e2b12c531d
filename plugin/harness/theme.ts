/**
 * The colour variables Figma injects into a plugin iframe shown with `themeColors: true`, and the
 * `figma-light` / `figma-dark` class it puts on <html> — a subset with Figma's UI3 values, so the
 * harness shows (and screenshots) the plugin in both themes.
 */
const LIGHT = {
  bg: '#ffffff',
  'bg-secondary': '#f5f5f5',
  'bg-hover': '#f5f5f5',
  text: '#000000e5',
  'text-secondary': '#00000080',
  border: '#e6e6e6',
  'bg-brand': '#0d99ff',
  'text-onbrand': '#ffffff',
  'bg-danger': '#f24822',
  'text-danger': '#dc3412',
  'bg-success': '#14ae5c',
  'bg-warning': '#ffcd29',
};
const DARK = {
  bg: '#2c2c2c',
  'bg-secondary': '#383838',
  'bg-hover': '#383838',
  text: '#ffffff',
  'text-secondary': '#ffffffb2',
  border: '#444444',
  'bg-brand': '#0c8ce9',
  'text-onbrand': '#ffffff',
  'bg-danger': '#e03e1a',
  'text-danger': '#fca397',
  'bg-success': '#198f51',
  'bg-warning': '#f3c11b',
};

const vars = (v: Record<string, string>): string => Object.entries(v).map(([k, c]) => `--figma-color-${k}: ${c};`).join(' ');

/** CSS defining Figma's colour variables for both theme classes. */
export const figmaThemeCss = `html.figma-light { ${vars(LIGHT)} } html.figma-dark { ${vars(DARK)} color-scheme: dark; }`;
