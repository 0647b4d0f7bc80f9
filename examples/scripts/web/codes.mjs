// The codes cognito-local "sends": it writes each one to its log in a box
// instead of mailing it. `codesIn(text)` finds them; run as a program, it
// follows the log and prints each new code on a line of its own:
//
//   node codes.mjs LOG
//   code for alice@example.com (SignUp): 123456

import { open } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { pathToFileURL } from "node:url";

const COLOURS = /\u001b\[[0-9;]*m/g;

/**
 * Every code in cognito-local's log `text`, oldest first:
 * `{ operation, username, destination, code }` (`operation` is the call that
 * sent it: SignUp or ForgotPassword).
 */
export function codesIn(text) {
  const plain = text.replace(COLOURS, "");
  const found = [];
  for (const box of plain.split("Confirmation Code Delivery").slice(1)) {
    const field = (name) => box.match(new RegExp(`${name}:\\s+(\\S+)`))?.[1] ?? null;
    const code = field("Code");
    if (code === null) continue;
    found.push({
      operation: box.match(/"target":"(\w+)"/)?.[1] ?? null,
      username: field("Username"),
      destination: field("Destination"),
      code,
    });
  }
  return found;
}

async function follow(log) {
  // The box is drawn with multi-byte characters a read may cut in two.
  const decoder = new StringDecoder("utf8");
  let printed = 0;
  let text = "";
  let offset = 0;
  for (;;) {
    try {
      const file = await open(log);
      try {
        const { bytesRead, buffer } = await file.read({ position: offset, buffer: Buffer.alloc(1 << 16) });
        offset += bytesRead;
        text += decoder.write(buffer.subarray(0, bytesRead));
      } finally {
        await file.close();
      }
    } catch {
      // Not written yet.
    }
    // A box is complete once the request's JSON that follows it is there.
    const complete = codesIn(text).filter((found) => found.operation !== null);
    for (const found of complete.slice(printed)) {
      console.log(`code for ${found.destination ?? found.username} (${found.operation}): ${found.code}`);
    }
    printed = complete.length;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv[2]) {
    console.error("usage: node codes.mjs <cognito-local log>");
    process.exit(2);
  }
  await follow(process.argv[2]);
}
