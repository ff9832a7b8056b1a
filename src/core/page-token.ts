// Opaque page tokens (AIP-158): the position after the last item, bound to the filters that
// produced it, so a token cannot be replayed against a different query.
import { fail, ok, type Result } from "./failure.js";
import { requestHash } from "./request-hash.js";

interface TokenBody { after: string; filter: string }

export function filterFingerprint(filter: unknown): string {
  return requestHash("page-filter", filter).slice(0, 16);
}

export function encodePageToken(after: string, filter: unknown): string {
  const body: TokenBody = { after, filter: filterFingerprint(filter) };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

/** The position to continue after, or null for the first page. */
export function decodePageToken(token: string, filter: unknown): Result<string | null> {
  if (token === "") return ok(null);
  const invalidToken = fail<string | null>({
    reason: "PAGE_TOKEN_INVALID",
    message: "page_token is not a token returned by this list call with these filters",
    metadata: { field: "page_token" },
    violations: [{ field: "page_token", reason: "PAGE_TOKEN_INVALID", description: "must be a next_page_token returned for the same filters" }],
  });
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return invalidToken;
  }
  if (typeof body !== "object" || body === null) return invalidToken;
  const { after, filter: fingerprint } = body as Partial<TokenBody>;
  if (typeof after !== "string" || !/^\d{1,19}$/.test(after) || BigInt(after) > 9223372036854775807n || fingerprint !== filterFingerprint(filter)) {
    return invalidToken;
  }
  return ok(after);
}
