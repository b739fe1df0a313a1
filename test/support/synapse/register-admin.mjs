// Registers (or logs in) the tests' server admin through shared-secret registration and prints its access token.
// Usage: node register-admin.mjs URL SECRET
/* global process, fetch */
import { createHmac } from "node:crypto";

const [url, secret] = process.argv.slice(2);
const username = "vestibule-admin";
const password = `admin-password-${secret}`;

const nonceResponse = await fetch(`${url}/_synapse/admin/v1/register`);
const { nonce } = await nonceResponse.json();
const mac = createHmac("sha1", secret).update([nonce, username, password, "admin"].join("\0")).digest("hex");
const response = await fetch(`${url}/_synapse/admin/v1/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ nonce, username, password, admin: true, mac }),
});
let body = await response.json();
// Taken (a rerun), or registered without a token: Synapse issues none when MSC3866 approval is required.
if ((response.status === 400 && body.errcode === "M_USER_IN_USE") || (response.ok && !body.access_token)) {
  const login = await fetch(`${url}/_matrix/client/v3/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: username },
      password,
    }),
  });
  body = await login.json();
  if (!login.ok) throw new Error(`admin login failed: ${JSON.stringify(body)}`);
} else if (!response.ok) {
  throw new Error(`admin registration failed: ${JSON.stringify(body)}`);
}
process.stdout.write(body.access_token);
