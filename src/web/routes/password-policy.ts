// The password rules of the sign-up form and the set-password page: long enough, typed twice the same, not the
// username, and not trivially guessable. The same estimate drives the progressive meter in /static/app.js.
import type { FieldProblem } from "../messages/site.ts";

const common = new Set([
  "password",
  "password1",
  "password123",
  "passwort",
  "passwort123",
  "123456789",
  "1234567890",
  "12345678910",
  "qwertyuiop",
  "qwertzuiop",
  "iloveyou",
  "letmein123",
  "welcome123",
  "matrix123",
  "changeme",
  "administrator",
]);

/** 0 (very weak) … 4 (strong): length, character variety, repetition and common passwords. */
export function passwordStrength(password: string): 0 | 1 | 2 | 3 | 4 {
  if (password.length === 0) return 0;
  const lower = password.toLowerCase();
  if (common.has(lower) || /^(.)\1+$/.test(password) || /^(0123456789|abcdefghij|qwertyuiop)/.test(lower))
    return 0;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
  const distinct = new Set(password).size;
  let score = 0;
  if (password.length >= 10) score++;
  if (password.length >= 14) score++;
  if (classes >= 3 || (password.length >= 16 && classes >= 2)) score++;
  if (distinct >= 8 && password.length >= 12) score++;
  return Math.min(4, score) as 0 | 1 | 2 | 3 | 4;
}

/** The first problem with a new password, tied to the field it belongs to; null when it is acceptable. */
export function checkNewPassword(
  password: string,
  confirmation: string,
  username: string,
  minLength: number,
): { field: "password" | "password_confirm"; problem: FieldProblem } | null {
  if (password === "") return { field: "password", problem: "required" };
  if (password.length > 512) return { field: "password", problem: "too_long" };
  if (password.length < minLength) return { field: "password", problem: "password_short" };
  if (
    username !== "" &&
    password.toLowerCase().includes(username.toLowerCase()) &&
    password.length < username.length + 6
  ) {
    return { field: "password", problem: "password_is_username" };
  }
  if (passwordStrength(password) < 2) return { field: "password", problem: "password_weak" };
  if (password !== confirmation) return { field: "password_confirm", problem: "password_mismatch" };
  return null;
}
