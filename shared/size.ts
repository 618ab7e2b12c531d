/**
 * Height and width of an image, in pixels. Sizes travel as one `Size` object, never as two
 * positional numbers, so that height and width cannot be swapped (the engine's resizing and the
 * companion's image files take the same object).
 */
export interface Size {
  height: number;
  width: number;
}
