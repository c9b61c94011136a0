// Small HTTP helpers shared by the sandbox's servers.

/** Reads a request body as UTF-8 text, refusing more than `limit` bytes. */
export async function readBody(req, limit = 65_536) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) throw new Error(`The body is larger than ${limit} bytes.`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
