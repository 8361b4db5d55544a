// Files imported as text (`?raw`, a Vite feature vitest provides), for tests that compare documents with code.
declare module "*?raw" {
  const text: string;
  export default text;
}
