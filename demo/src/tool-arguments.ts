// How a tool call's arguments read in a label, for the output form and the approval form.
/** `{"city":"Paris"}` → `city: "Paris"`, for a label a person reads. */
export function describeArguments(json: string): string {
  try {
    const args = JSON.parse(json) as Record<string, unknown>;
    return Object.entries(args)
      .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
      .join(", ");
  } catch {
    return json;
  }
}
