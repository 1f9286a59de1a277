/**
 * A checkout's colour on the buyer's pages. The colour itself fills buttons; the text on them is
 * white or black, whichever reads; links and outlines on the light page take the colour, darkened
 * until they read too. "Reads" is WCAG's contrast ratio of at least 4.5:1.
 */

/** WCAG's minimum contrast for body text. */
export const minimumContrast = 4.5;

/** The page's lightest and darkest backgrounds that links sit on (white cards, the light grey page). */
const lightBackgrounds = ['#ffffff', '#f4f6fa'];

const channels = (hex: string): [number, number, number] => {
  const value = Number.parseInt(hex.slice(1), 16);
  return [(value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
};

const toHex = (rgb: readonly number[]) => `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;

/** WCAG relative luminance of `#rrggbb`. */
export function luminance(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** WCAG contrast ratio between two `#rrggbb` colours, from 1 to 21. */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** The colours the buyer's pages use for a brand colour `#rrggbb`. */
export interface BrandColors {
  /** Buttons' fill: the colour itself, in lower case. */
  brand: string;
  /** Text on the fill: white, or black when white does not read. */
  brandText: string;
  /** Links and outlines on the light page: the colour, darkened as far as it must be to read. */
  brandInk: string;
}

export function brandColors(color: string): BrandColors {
  const brand = color.toLowerCase();
  const brandText = contrastRatio(brand, '#ffffff') >= minimumContrast ? '#ffffff' : '#000000';
  const rgb = channels(brand);
  let brandInk = brand;
  for (let step = 1; step <= 20 && lightBackgrounds.some((bg) => contrastRatio(brandInk, bg) < minimumContrast); step++)
    brandInk = toHex(rgb.map((c) => c * (1 - step / 20)));
  return { brand, brandText, brandInk };
}

/** The stylesheet that gives a checkout's buyer pages its colour: custom properties only. */
export function brandStylesheet(color: string): string {
  const colors = brandColors(color);
  return `:root{--brand:${colors.brand};--brand-text:${colors.brandText};--brand-ink:${colors.brandInk}}\n`;
}
